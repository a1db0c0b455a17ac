package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/time/rate"

	"github.com/trustpulse/trustpulse/internal/config"
	"github.com/trustpulse/trustpulse/internal/locale"
	"github.com/trustpulse/trustpulse/internal/seal"
	"github.com/trustpulse/trustpulse/internal/store"
	"github.com/trustpulse/trustpulse/internal/testdb"
	"github.com/trustpulse/trustpulse/internal/wave"
	"github.com/trustpulse/trustpulse/locales"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m)) }

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// received is one mail the test server accepted (after the final dot).
type received struct {
	From, To string
	Data     []byte
	TLS      bool
	User     string
}

// smtpServer is a real SMTP server (github.com/emersion/go-smtp) on loopback. rcpt answers an
// error code for some recipients; cut, for a recipient, reads the data and closes the connection
// before replying (the outcome is then unknown to the client); hold blocks the data of a
// recipient until the channel is closed.
type smtpServer struct {
	srv  *smtp.Server
	addr string
	mu   sync.Mutex
	got  []received
	rcpt map[string]int
	cut  map[string]bool
	hold map[string]chan struct{}
	// holdRcpt blocks the RCPT of a recipient until the channel is closed (before any data).
	holdRcpt map[string]chan struct{}
	// started is told each time a DATA begins, with the recipient.
	started chan string
	user    string // when set, AUTH PLAIN with user/"secret" is required
}

func newSMTPServer(t testing.TB, tlsCfg *tls.Config, user string) *smtpServer {
	t.Helper()
	f := &smtpServer{rcpt: map[string]int{}, cut: map[string]bool{}, hold: map[string]chan struct{}{}, holdRcpt: map[string]chan struct{}{}, started: make(chan string, 100), user: user}
	f.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{f: f, c: c}, nil }))
	f.srv.Domain = "localhost"
	f.srv.TLSConfig = tlsCfg
	f.srv.AllowInsecureAuth = tlsCfg == nil
	f.srv.ReadTimeout, f.srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	go f.srv.Serve(ln)
	t.Cleanup(func() {
		f.mu.Lock()
		for _, c := range f.hold {
			select {
			case <-c:
			default:
				close(c)
			}
		}
		f.mu.Unlock()
		f.srv.Close()
	})
	return f
}

func (f *smtpServer) mails() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.got...)
}

type session struct {
	f        *smtpServer
	c        *smtp.Conn
	from, to string
	user     string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != s.f.user || password != "secret" {
			return errors.New("bad credentials")
		}
		s.user = username
		return nil
	}), nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.f.user != "" && s.user == "" {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.f.mu.Lock()
	code, hold := s.f.rcpt[to], s.f.holdRcpt[to]
	s.f.mu.Unlock()
	if hold != nil {
		s.f.started <- to
		<-hold
	}
	if code != 0 {
		return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "canned"}
	}
	s.to = to
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.f.started <- s.to
	s.f.mu.Lock()
	cut, hold := s.f.cut[s.to], s.f.hold[s.to]
	s.f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	if cut {
		s.c.Conn().Close() // the data is in; the reply never comes
		return errors.New("cut")
	}
	_, tlsOn := s.c.TLSConnectionState()
	s.f.mu.Lock()
	s.f.got = append(s.f.got, received{From: s.from, To: s.to, Data: b, TLS: tlsOn, User: s.user})
	s.f.mu.Unlock()
	return nil
}

// selfSigned is a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

// clock is a settable Store.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t.UTC().Truncate(time.Second); c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

const testBase = "https://survey.example.org"

// fixture is a district with one school, staff members with school addresses and a staff wave
// with the email channel.
type fixture struct {
	st       *store.Store
	clock    *clock
	district int64
	school   int64
	wave     int64
	staff    []store.Person
	issued   []wave.Issued
	svc      *Service
	smtp     *smtpServer
}

func addrOf(i int) string { return fmt.Sprintf("staff%d@lincoln.example.org", i) }

func loadCatalog(tb testing.TB) *locale.Catalog {
	tb.Helper()
	cat, err := locale.Load(locales.FS)
	if err != nil {
		tb.Fatal(err)
	}
	return cat
}

// newFixture makes n staff members (edit may change each) and a staff wave with status; it
// invites them through wave.Service with the email service as Notifier, as serve does.
func newFixture(t testing.TB, st *store.Store, n int, status string, edit func(i int, p *store.Person)) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := &clock{}
	clk.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	st.Now = clk.Now
	f := &fixture{st: st, clock: clk, district: testdb.NewDistrict(t, st), school: store.NewID(), wave: store.NewID()}
	now := st.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	db := st.DB.WithContext(ctx)
	must(db.Model(&store.District{}).Where("district_id = ?", f.district).Update("name", "Lincoln Unified").Error)
	must(db.Create(&store.School{DistrictID: f.district, ID: f.school, SourcedID: "sch", Name: "Lincoln Elementary", TimeZone: "UTC", Active: true, CreatedAt: now, UpdatedAt: now}).Error)
	var ps []store.PersonSchool
	for i := 0; i < n; i++ {
		p := store.Person{DistrictID: f.district, ID: store.NewID(), SourcedID: fmt.Sprintf("staff-%d", i), Kind: store.KindStaff, Role: "teacher",
			GivenName: fmt.Sprintf("Pat%d", i), SchoolID: &f.school, Active: true, Attributes: store.Attrs{}, Email: addrOf(i),
			PreferredLanguage: "en", CreatedAt: now, UpdatedAt: now}
		if edit != nil {
			edit(i, &p)
		}
		f.staff = append(f.staff, p)
		ps = append(ps, store.PersonSchool{DistrictID: f.district, PersonID: p.ID, SchoolID: f.school})
	}
	if n > 0 {
		must(db.CreateInBatches(f.staff, 1000).Error)
		must(db.CreateInBatches(ps, 2000).Error)
	}
	must(db.Create(&store.Instrument{DistrictID: f.district, InstrumentID: "staff-pulse", Version: 1, Audience: "staff", CreatedAt: now}).Error)
	must(db.Create(&store.Wave{DistrictID: f.district, ID: f.wave, Name: "Staff spring", InstrumentID: "staff-pulse", InstrumentVersion: 1, Audience: "staff",
		AudienceFilter: store.Attrs{}, Mode: store.ModeConfidential, Channels: "link,email", Status: status, OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(14 * 24 * time.Hour),
		ReminderDelayHours: 48, MaxReminders: 1, CreatedAt: now, UpdatedAt: now}).Error)
	must(db.Create(&store.WaveSchool{DistrictID: f.district, WaveID: f.wave, SchoolID: f.school}).Error)
	f.smtp = newSMTPServer(t, nil, "mailer")
	f.svc = f.service(t, "smtp://mailer:secret@"+f.smtp.addr+"?starttls=off")
	ws := &wave.Service{Store: st, Notifier: wave.Notifiers{f.svc}}
	issued, err := ws.Invite(ctx, f.district, f.wave)
	must(err)
	f.issued = issued
	return f
}

// service builds an email service on the SMTP URL, unpaced, with a one-minute backoff.
func (f *fixture) service(t testing.TB, smtpURL string) *Service {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = testBase
	cfg.SMTPURL = smtpURL
	cfg.SMTPFrom = "surveys@lincoln.example.org"
	key := bytes.Repeat([]byte{7}, 32)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	svc := New(cfg, f.st, loadCatalog(t), sealer, quietLog())
	if _, ok := svc.Sender.(*SMTPSender); !ok {
		t.Fatalf("sender for %q is %T", smtpURL, svc.Sender)
	}
	svc.Sender.(*SMTPSender).Timeout = 10 * time.Second
	svc.Bucket = nil
	svc.Limiter = rate.NewLimiter(rate.Inf, 1)
	svc.Drain = 0
	svc.BatchSize = 50
	svc.Backoff = func(int) time.Duration { return time.Minute }
	svc.district = f.district
	return svc
}

func (f *fixture) messages(t testing.TB) []store.EmailMessage {
	t.Helper()
	var out []store.EmailMessage
	if err := f.st.DB.Where("district_id = ?", f.district).Order("to_address, kind").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) sendAll(t testing.TB) {
	t.Helper()
	for i := 0; i < 100; i++ {
		n, err := f.svc.SendDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("SendDue never ran dry")
}

func (f *fixture) tokenOf(personID int64) string {
	for _, is := range f.issued {
		if is.PersonID == personID {
			return is.Token
		}
	}
	return ""
}

// parsed is a received mail read back: headers and its decoded parts by content type.
type parsed struct {
	Header mail.Header
	Parts  map[string]string
}

func parseMail(t testing.TB, raw []byte) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v)", m.Header.Get("Content-Type"), err)
	}
	out := parsed{Header: m.Header, Parts: map[string]string{}}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out.Parts[ct] = string(b)
	}
	return out
}

func subjectOf(t testing.TB, p parsed) string {
	s, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var _ = strings.Contains
