package config

import (
	"strings"
	"testing"
)

func TestValidateOIDC(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string // empty: valid
		issuer  string // the issuer after validation, when valid
	}{
		{"off", nil, "", ""},
		{"google default issuer", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "google", "TRUSTPULSE_OIDC_CLIENT_ID": "id", "TRUSTPULSE_OIDC_CLIENT_SECRET": "s",
			"TRUSTPULSE_OIDC_ALLOWED_DOMAINS": " District.org , "}, "", "https://accounts.google.com"},
		{"microsoft common refused", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "microsoft", "TRUSTPULSE_OIDC_CLIENT_ID": "id", "TRUSTPULSE_OIDC_CLIENT_SECRET": "s",
			"TRUSTPULSE_OIDC_ALLOWED_DOMAINS": "d.org", "TRUSTPULSE_OIDC_ISSUER": "https://login.microsoftonline.com/common/v2.0"}, "tenant-specific", ""},
		{"microsoft tenant", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "microsoft", "TRUSTPULSE_OIDC_CLIENT_ID": "id", "TRUSTPULSE_OIDC_CLIENT_SECRET": "s",
			"TRUSTPULSE_OIDC_ALLOWED_DOMAINS": "d.org", "TRUSTPULSE_OIDC_ISSUER": "https://login.microsoftonline.com/0b1c/v2.0"}, "", "https://login.microsoftonline.com/0b1c/v2.0"},
		{"no allowed domains", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "google", "TRUSTPULSE_OIDC_CLIENT_ID": "id", "TRUSTPULSE_OIDC_CLIENT_SECRET": "s"}, "ALLOWED_DOMAINS", ""},
		{"no secret", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "google", "TRUSTPULSE_OIDC_CLIENT_ID": "id", "TRUSTPULSE_OIDC_ALLOWED_DOMAINS": "d.org"}, "CLIENT_SECRET", ""},
		{"respondent domains", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "google", "TRUSTPULSE_OIDC_CLIENT_ID": "id", "TRUSTPULSE_OIDC_CLIENT_SECRET": "s",
			"TRUSTPULSE_OIDC_ALLOWED_DOMAINS": "d.org", "TRUSTPULSE_OIDC_RESPONDENT_DOMAINS": " Students.D.org, d.org"}, "", "https://accounts.google.com"},
		{"respondent domains without sso", map[string]string{"TRUSTPULSE_OIDC_RESPONDENT_DOMAINS": "students.d.org"}, "CLIENT_ID", ""},
		{"respondent wildcard refused", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "google", "TRUSTPULSE_OIDC_CLIENT_ID": "id", "TRUSTPULSE_OIDC_CLIENT_SECRET": "s",
			"TRUSTPULSE_OIDC_ALLOWED_DOMAINS": "d.org", "TRUSTPULSE_OIDC_RESPONDENT_DOMAINS": "*"}, "RESPONDENT_DOMAINS", ""},
		{"respondent address refused", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "google", "TRUSTPULSE_OIDC_CLIENT_ID": "id", "TRUSTPULSE_OIDC_CLIENT_SECRET": "s",
			"TRUSTPULSE_OIDC_ALLOWED_DOMAINS": "d.org", "TRUSTPULSE_OIDC_RESPONDENT_DOMAINS": "kid@d.org"}, "RESPONDENT_DOMAINS", ""},
		{"unknown provider", map[string]string{"TRUSTPULSE_OIDC_PROVIDER": "okta", "TRUSTPULSE_OIDC_CLIENT_ID": "id"}, "want google", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := FromEnv(func(k string) string { return tc.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			err = c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.OIDCIssuer != tc.issuer {
					t.Errorf("issuer %q, want %q", c.OIDCIssuer, tc.issuer)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
		})
	}
	c, _ := FromEnv(func(k string) string {
		return map[string]string{"TRUSTPULSE_OIDC_CLIENT_SECRET": "hunter2", "TRUSTPULSE_OIDC_ALLOWED_DOMAINS": "A.org,b.org"}[k]
	})
	if c.Masked().OIDCClientSecret == "hunter2" {
		t.Error("client secret not masked")
	}
	if strings.Join(c.OIDCAllowedDomains, ",") != "a.org,b.org" {
		t.Errorf("domains %v", c.OIDCAllowedDomains)
	}
}
