package cli

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
)

// systemdUnit is a hardened service unit for one `serve` process. It is printed by the binary
// rather than shipped as a file because the repository's top level is fixed, and because the unit
// then always matches the flags and paths of the binary that prints it.
//
// Why some hardening is left out: MemoryDenyWriteExecute would stop the embedded SQLite, which
// runs as WebAssembly compiled to machine code at start (wazero); PrivateNetwork would stop
// PostgreSQL, Twilio and OIDC. Binding a port below 1024 needs AmbientCapabilities=CAP_NET_BIND_SERVICE
// (better: a reverse proxy in front, and TRUSTPULSE_TRUSTED_PROXIES set for it).
const systemdUnit = `# TrustPulse: install with
#   trustpulse systemd-unit > /etc/systemd/system/trustpulse.service
#   systemctl daemon-reload && systemctl enable --now trustpulse
# Settings go in /etc/trustpulse/env (TRUSTPULSE_DATABASE_URL, TRUSTPULSE_BASE_URL, ...; mode 0600);
# secrets are better given as credentials, read through the *_FILE variables (see below).
# Upgrades: stop the service, back up, run "trustpulse migrate", start it (serve refuses a stale schema).
[Unit]
Description=TrustPulse school climate surveys
Documentation=https://github.com/trustpulse/trustpulse#operations
Wants=network-online.target
After=network-online.target postgresql.service

[Service]
Type=exec
ExecStart=%s serve
Restart=on-failure
RestartSec=5s
TimeoutStopSec=30s
KillMode=mixed

# A throwaway user per start; its only writable place is /var/lib/trustpulse (the SQLite default).
DynamicUser=yes
StateDirectory=trustpulse
StateDirectoryMode=0700
WorkingDirectory=/var/lib/trustpulse
UMask=0077
Environment=TRUSTPULSE_ADDR=127.0.0.1:8080
Environment=TRUSTPULSE_DATABASE_URL=sqlite:/var/lib/trustpulse/trustpulse.db
Environment=TRUSTPULSE_LOG_FORMAT=json
EnvironmentFile=-/etc/trustpulse/env
# Secrets as credentials (root-only files, never in the environment of other units):
#LoadCredential=twilio-auth-token:/etc/trustpulse/twilio-auth-token
#Environment=TWILIO_AUTH_TOKEN_FILE=%%d/twilio-auth-token
#LoadCredential=database-url:/etc/trustpulse/database-url
#Environment=TRUSTPULSE_DATABASE_URL_FILE=%%d/database-url

NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
PrivateUsers=yes
ProtectClock=yes
ProtectHostname=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RemoveIPC=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
SystemCallErrorNumber=EPERM
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`

func runSystemdUnit(_ context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("trustpulse systemd-unit", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	bin := fs.String("bin", "/usr/local/bin/trustpulse", "absolute `path` of the installed binary")
	if err := fs.Parse(args); err != nil {
		return &ExitError{Code: 2}
	}
	if fs.NArg() > 0 {
		return usageError("systemd-unit: unexpected argument %q", fs.Arg(0))
	}
	if !filepath.IsAbs(*bin) || strings.ContainsAny(*bin, " \t\n%\"'\\$") {
		return usageError("systemd-unit: --bin %q: want an absolute path without spaces, quotes or %%", *bin)
	}
	fmt.Fprintf(env.Stdout, systemdUnit, *bin)
	return nil
}
