package roster

import (
	"testing"
	"testing/fstest"
	"time"
)

const (
	fuzzManifest = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\nfile.enrollments,bulk\n"
	fuzzOrgs     = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\nd1,,,D,district,d,\ns1,,,S,school,1,d1\n"
	fuzzUsers    = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,grades,agentSourcedIds,sms\n" +
		"u1,,,true,s1,student,u1,,Ana,Garcia,04,g1,\n" +
		"g1,,,false,s1,parent,g1,,Maria,Garcia,,u1,(617) 555-0101\n" +
		"t1,tobedeleted,2025-08-01T12:00:00.000Z,true,s1,teacher,t1,,\"Rosa, \"\"R\"\"\",Parks,,,\n"
	fuzzEnrollments = "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\ne1,,,c1,s1,u1,student,,2025-08-20,\n"
)

// FuzzOneRoster reads arbitrary users, orgs and enrollments files with small limits: the reader
// never panics, every problem names a file and a line, and no more problems are kept than the
// limit allows.
func FuzzOneRoster(f *testing.F) {
	f.Add([]byte(fuzzUsers), []byte(fuzzOrgs), []byte(fuzzEnrollments))
	f.Add([]byte("\xef\xbb\xbfsourcedId,role\r\n\"u1\nx\",student\r\n"), []byte(fuzzOrgs), []byte(""))
	f.Add([]byte("sourcedId,sourcedId\n\"unterminated\n"), []byte("sourcedId\n"), []byte("a,b,c\n1,2\n"))
	f.Add([]byte(fuzzUsers+"u2,,,true,s9,student,u2,,\xff\x00,B,13,,\n"), []byte(fuzzOrgs+"d2,,,E,district,e,\n"), []byte(fuzzEnrollments))
	lim := Limits{MaxBytes: 64 << 10, MaxLine: 1 << 10, MaxField: 256, MaxProblems: 20, MaxRatio: 100}
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, users, orgs, enrollments []byte) {
		fsys := fstest.MapFS{
			"manifest.csv":    {Data: []byte(fuzzManifest)},
			"orgs.csv":        {Data: orgs},
			"users.csv":       {Data: users},
			"enrollments.csv": {Data: enrollments},
		}
		src, err := findSource(fsys, []string{fileManifest}, lim)
		if err != nil {
			t.Fatal(err)
		}
		p := newProblems(lim.MaxProblems)
		d, err := readOneRoster(src, Options{}, now, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.fatal) > lim.MaxProblems || len(p.warn) > lim.MaxProblems || p.nFatal < len(p.fatal) {
			t.Fatalf("kept %d problems and %d warnings of %d, limit %d", len(p.fatal), len(p.warn), p.nFatal, lim.MaxProblems)
		}
		for _, pr := range append(p.fatal, p.warn...) {
			if pr.File == "" || pr.Line < 0 {
				t.Fatalf("problem without a place: %+v", pr)
			}
		}
		// The second reading (the writer's) must meet the rows the first one kept, in order.
		if p.nFatal == 0 {
			n := 0
			err := d.rereadPeople(func(pr *personRec) error {
				if n >= len(d.people) || d.people[n].id != pr.id {
					t.Fatalf("second reading differs at row %d", n)
				}
				n++
				return nil
			})
			if err != nil || n != len(d.people) {
				t.Fatalf("second reading: %d of %d rows, %v", n, len(d.people), err)
			}
		}
	})
}
