package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trustpulse/trustpulse/internal/store"
)

// Sign in to answer. A student or staff member signs in with the district's identity provider
// (the staff single sign-on client, with its own domain list) and gets a respondent session: a
// cookie naming a rostered person, good only for listing and starting that person's own surveys.
// It is never a staff account's session: nothing here reads or writes users or sessions.

// RespondentSessionTTL is how long a respondent session lasts: a class period or two.
const RespondentSessionTTL = 2 * time.Hour

// Refusals of a respondent sign-in the provider vouched for; the web layer shows each its own
// message. Domain and verification refusals are ErrOIDCRejected.
var (
	// ErrNoPerson: no active student or staff member in the roster has the account's email.
	ErrNoPerson = errors.New("no active student or staff member with this email")
	// ErrAmbiguousPerson: the email belongs to more than one rostered person (emails are not
	// unique across districts of one deployment); we refuse rather than guess whose surveys to show.
	ErrAmbiguousPerson = errors.New("email matches more than one rostered person")
)

// Respondent is the person behind a respondent session.
type Respondent struct {
	DistrictID, PersonID int64
}

// RespondentEnabled reports whether sign in to answer is offered: only with respondent domains.
func (o *OIDC) RespondentEnabled() bool {
	return o != nil && len(o.cfg.RespondentDomains) > 0 && o.cfg.RespondentRedirectURL != ""
}

// StartRespondent is Start for a respondent sign-in: the provider sends the browser back to the
// respondent callback, never to the staff one.
func (o *OIDC) StartRespondent(ctx context.Context) (string, Flow, error) {
	if !o.RespondentEnabled() {
		return "", Flow{}, fmt.Errorf("%w: sign in to answer is not configured", ErrOIDCRejected)
	}
	return o.start(ctx, o.cfg.RespondentRedirectURL, o.cfg.RespondentDomains)
}

// FinishRespondent completes a respondent callback: the same checks as Finish (state, PKCE,
// signature, issuer, audience, nonce, email_verified, Google's hd, the tenant issuer) against
// the respondent domain list, then the one active student or staff member with that email. It
// returns a respondent session token for the cookie (never to be logged).
// host is the host name the callback came to: it names the district to look in (signInDistrict).
func (o *OIDC) FinishRespondent(ctx context.Context, f Flow, state, code, host string) (string, error) {
	if !o.RespondentEnabled() {
		return "", fmt.Errorf("%w: sign in to answer is not configured", ErrOIDCRejected)
	}
	c, err := o.verify(ctx, f, state, code, o.cfg.RespondentRedirectURL)
	if err != nil {
		return "", err
	}
	email, err := o.checkClaims(c, o.cfg.RespondentDomains)
	if err != nil {
		return "", err
	}
	return o.svc.startRespondentSession(ctx, email, host)
}

// startRespondentSession finds the rostered person with email and starts their session. It looks
// in the district of host (signInDistrict), so that on Citus the lookup goes to one shard (#19
// line 3); with several districts and no host mapped, in every district.
func (s *Service) startRespondentSession(ctx context.Context, email, host string) (string, error) {
	in, err := s.signInScope(ctx, host)
	if err != nil {
		return "", fmt.Errorf("respondent sign in: %w", err)
	}
	var people []store.Person
	err = in().Select("district_id", "id").
		Where("LOWER(email) = ? AND kind IN ? AND active = ?", email, []string{store.KindStudent, store.KindStaff}, true).
		Limit(2).Find(&people).Error
	if err != nil {
		return "", fmt.Errorf("respondent sign in: %w", err)
	}
	switch len(people) {
	case 0:
		return "", ErrNoPerson
	case 1:
	default:
		return "", ErrAmbiguousPerson
	}
	route, err := s.store.RouteOf(s.store.DB.WithContext(ctx), people[0].DistrictID)
	if err != nil {
		return "", fmt.Errorf("respondent sign in: %w", err)
	}
	token, hash := newSessionToken(route)
	row := store.RespondentSession{DistrictID: people[0].DistrictID, TokenHash: hash, PersonID: people[0].ID,
		ExpiresAt: s.store.Now().Add(RespondentSessionTTL)}
	if err := s.store.DB.WithContext(ctx).Create(&row).Error; err != nil {
		return "", fmt.Errorf("respondent sign in: %w", err)
	}
	return token, nil
}

// RespondentSession resolves a respondent cookie to its person, who must still be active.
func (s *Service) RespondentSession(ctx context.Context, token string) (Respondent, error) {
	q, hash, err := s.byToken(ctx, token, "rs")
	if err != nil || q == nil {
		return Respondent{}, cmpErr(err, ErrNoSession)
	}
	var r Respondent
	res := q.Table("respondent_sessions rs").
		Joins("JOIN people p ON p.district_id = rs.district_id AND p.id = rs.person_id").
		Where("rs.token_hash = ? AND rs.expires_at > ? AND p.active = ?", hash, s.store.Now(), true).
		Select("rs.district_id, rs.person_id").Limit(1).Scan(&r)
	if res.Error != nil {
		return Respondent{}, fmt.Errorf("load respondent session: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return Respondent{}, ErrNoSession
	}
	return r, nil
}

// SignOutRespondent ends the respondent session of token (if any).
func (s *Service) SignOutRespondent(ctx context.Context, token string) error {
	q, hash, err := s.byToken(ctx, token, "")
	if err != nil || q == nil {
		return err
	}
	if err := q.Where("token_hash = ?", hash).Delete(&store.RespondentSession{}).Error; err != nil {
		return fmt.Errorf("respondent sign out: %w", err)
	}
	return nil
}
