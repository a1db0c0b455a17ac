package sms

import (
	"context"
	"errors"
	"testing"
	"time"
)

// The Twilio sender's exact request and its classification of every canned answer.
func TestTwilioSenderRequestsAndErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      func() (int, string)
		wantErr   string // "" or a class
		wantCode  int
		wantState string
	}{
		{"created", 201, func() (int, string) { return 201, `{"sid":"SM1","status":"queued"}` }, "", 0, "sent"},
		{"created already failed", 201, func() (int, string) { return 201, `{"sid":"SM2","status":"failed","error_code":30034}` }, Permanent, 30034, "failed"},
		{"rate limited", 429, func() (int, string) { return twilioError(429, 20429) }, Retryable, 20429, ""},
		{"server error", 500, func() (int, string) { return twilioError(500, 20500) }, Retryable, 20500, ""},
		{"bad gateway without json", 502, func() (int, string) { return 502, "<html>bad gateway</html>" }, Retryable, 0, ""},
		{"invalid number", 400, func() (int, string) { return twilioError(400, 21211) }, Permanent, 21211, ""},
		{"unsubscribed", 400, func() (int, string) { return twilioError(400, 21610) }, Stopped, 21610, ""},
		{"unregistered campaign", 400, func() (int, string) { return twilioError(400, 30034) }, Permanent, 30034, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeTwilio(t)
			fake.respond = func(int, fakeReq) (int, string) { return tt.body() }
			snd := NewTwilioSender("AC123", "tok123", "", "+12025550100", fake.client())
			res, err := snd.Send(context.Background(), Message{ID: 7, To: "+12015550001", Body: "hi", StatusCallback: testBase + "/webhooks/twilio/status?m=7", Validity: 90 * time.Minute})
			reqs := fake.requests()
			if len(reqs) != 1 {
				t.Fatalf("fake got %d requests, want 1", len(reqs))
			}
			want := fakeReq{Path: "/2010-04-01/Accounts/AC123/Messages.json", To: "+12015550001", Body: "hi", StatusCallback: testBase + "/webhooks/twilio/status?m=7", From: "+12025550100", ValidityPeriod: "5400"}
			if reqs[0] != want {
				t.Fatalf("request\n got %+v\nwant %+v", reqs[0], want)
			}
			var se *SendError
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (!errors.As(err, &se) || se.Class != tt.wantErr || se.Code != tt.wantCode):
				t.Fatalf("err = %#v, want class %s code %d", err, tt.wantErr, tt.wantCode)
			}
			if tt.wantState != "" && res.Status != tt.wantState {
				t.Fatalf("status = %q, want %q", res.Status, tt.wantState)
			}
		})
	}
}

func TestTwilioSenderUsesMessagingService(t *testing.T) {
	fake := newFakeTwilio(t)
	snd := NewTwilioSender("AC123", "tok123", "MG999", "+12025550100", fake.client())
	if _, err := snd.Send(context.Background(), Message{To: "+12015550001", Body: "x"}); err != nil {
		t.Fatal(err)
	}
	r := fake.requests()[0]
	if r.MessagingServiceSid != "MG999" || r.From != "" || r.ValidityPeriod != "" {
		t.Fatalf("request %+v: want MessagingServiceSid only", r)
	}
}

func TestTwilioSenderInterrupted(t *testing.T) {
	fake := newFakeTwilio(t)
	fake.hold[0] = make(chan struct{})
	snd := NewTwilioSender("AC123", "tok123", "MG999", "", fake.client())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := snd.Send(ctx, Message{To: "+12015550001", Body: "x"}); !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
}
