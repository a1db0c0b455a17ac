package sms

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/trustpulse/trustpulse/internal/store"
)

// TwilioSender sends through Twilio's Messages API, from a Messaging Service when one is set
// (preferred: it carries the A2P 10DLC campaign) or else from one number.
type TwilioSender struct {
	api                 *api.ApiService
	messagingServiceSID string
	from                string
}

// NewTwilioSender builds the sender. httpClient nil means twilio-go's default; tests pass one
// whose transport points at a fake Twilio.
func NewTwilioSender(accountSID, authToken, messagingServiceSID, from string, httpClient *http.Client) *TwilioSender {
	c := &client.Client{Credentials: client.NewCredentials(accountSID, authToken), HTTPClient: httpClient}
	c.SetAccountSid(accountSID)
	rc := twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
	return &TwilioSender{api: rc.Api, messagingServiceSID: messagingServiceSID, from: from}
}

// Local is false: messages leave the machine.
func (t *TwilioSender) Local() bool { return false }

// Send creates the message. twilio-go takes no context, so the call runs aside and a cancelled
// ctx returns ErrInterrupted at once (the outcome is then unknown; see Service.recoverStuck).
func (t *TwilioSender) Send(ctx context.Context, m Message) (Result, error) {
	p := &api.CreateMessageParams{}
	p.SetTo(m.To).SetBody(m.Body)
	if m.StatusCallback != "" {
		p.SetStatusCallback(m.StatusCallback)
	}
	if t.messagingServiceSID != "" {
		p.SetMessagingServiceSid(t.messagingServiceSID)
	} else {
		p.SetFrom(t.from)
	}
	if secs := int(m.Validity.Seconds()); secs > 0 {
		p.SetValidityPeriod(secs)
	}
	type answer struct {
		msg *api.ApiV2010Message
		err error
	}
	done := make(chan answer, 1)
	go func() {
		msg, err := t.api.CreateMessage(p)
		done <- answer{msg, err}
	}()
	var a answer
	select {
	case <-ctx.Done():
		return Result{}, ErrInterrupted
	case a = <-done:
	}
	if a.err != nil {
		return Result{}, classify(a.err)
	}
	r := Result{Status: store.SMSSent}
	if a.msg.Sid != nil {
		r.ProviderSid = *a.msg.Sid
	}
	// Twilio sends no callback for a message's first status: keep the one the create returned.
	if a.msg.Status != nil {
		r.Status = mapTwilioStatus(*a.msg.Status)
		if r.Status == "" {
			r.Status = store.SMSSent
		}
	}
	if r.Status == store.SMSFailed || r.Status == store.SMSUndelivered {
		code := 0
		if a.msg.ErrorCode != nil {
			code = *a.msg.ErrorCode
		}
		return r, &SendError{Class: Permanent, Code: code, Status: http.StatusCreated, Err: fmt.Errorf("twilio created the message as %s", r.Status)}
	}
	return r, nil
}

// Twilio error codes that name the recipient, not the request, as the problem.
const (
	codeInvalidTo          = 21211
	codeUnsubscribed       = 21610
	codeNotMobile          = 21614
	codeUnregisteredCampgn = 30034
)

// classify sorts a twilio-go error: 429 and 5xx and network errors are retryable; 21610 means
// the recipient texted STOP; every other 4xx (21211 invalid number, 30034 unregistered A2P 10DLC
// campaign, 20003 bad credentials, …) is permanent: repeating the same request cannot help.
func classify(err error) *SendError {
	var re *client.TwilioRestError
	if errors.As(err, &re) {
		switch {
		case re.Code == codeUnsubscribed:
			return &SendError{Class: Stopped, Code: re.Code, Status: re.Status, Err: err}
		case re.Status == http.StatusTooManyRequests || re.Status >= 500:
			return &SendError{Class: Retryable, Code: re.Code, Status: re.Status, Err: err}
		default:
			return &SendError{Class: Permanent, Code: re.Code, Status: re.Status, Err: err}
		}
	}
	var v1 *client.RestErrorV1
	if errors.As(err, &v1) {
		return &SendError{Class: Retryable, Err: err}
	}
	// A request that never left (no connection: DNS, refused, unreachable) is safe to try again.
	// Any other transport failure (a timeout, a connection reset after the request was written)
	// may have reached Twilio, which may have sent the text: unknown, never resent blindly.
	var ue *url.Error
	if errors.As(err, &ue) {
		var op *net.OpError
		if errors.As(ue.Err, &op) && op.Op == "dial" {
			return &SendError{Class: Retryable, Err: err}
		}
		return &SendError{Class: Unknown, Err: err}
	}
	// Undecodable error answers: Twilio answered with an error status, so it did not send.
	return &SendError{Class: Retryable, Err: err}
}

// mapTwilioStatus maps a Twilio message status onto ours; "" for one we do not know.
func mapTwilioStatus(s string) string {
	switch s {
	case "accepted", "scheduled", "queued", "sending", "sent":
		return store.SMSSent
	case "delivered", "read":
		return store.SMSDelivered
	case "undelivered":
		return store.SMSUndelivered
	case "failed", "canceled":
		return store.SMSFailed
	}
	return ""
}

// statusRank orders statuses so a late callback never moves a message backwards.
func statusRank(s string) int {
	switch s {
	case store.SMSQueued, store.SMSSending, store.SMSUnknown:
		return 1
	case store.SMSSent:
		return 2
	case store.SMSDelivered, store.SMSUndelivered, store.SMSFailed, store.SMSDeliveredLocal, store.SMSCancelled:
		return 3
	}
	return 0
}
