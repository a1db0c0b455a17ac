package roster

import (
	"archive/zip"
	"io"
	"path"
	"strings"
)

// simpleTemplate is the simple CSV template offered for download: every column of each file,
// with one example row (see the README's "Simple CSV template").
var simpleTemplate = []struct{ name, body string }{
	{fileSchools, "id,name,time_zone\nlincoln,Lincoln Elementary,America/Denver\n"},
	{fileStudents, "id,school,first_name,last_name,grade,gender,race_ethnicity,home_language,english_learner,disability,low_income,survey_opt_out,birth_date,email,homeroom\n" +
		"S1,lincoln,Ana,Diaz,3,female,hispanic,es,yes,no,yes,,2017-04-02,,Room 12\n"},
	{fileStaff, "id,school,first_name,last_name,email,role,department,hire_date,survey_opt_out,homeroom\n" +
		"T1,lincoln,Rosa,Lee,rlee@lincoln.example.org,teacher,Grade 3,2019-08-15,,Room 12\n"},
	{fileGuardians, "id,first_name,last_name,phone,email,language,student_ids,relationship,do_not_text,survey_opt_out\n" +
		"P1,Maria,Diaz,(617) 555-0111,,es,S1,parent,,\n"},
}

// WriteSimpleTemplate writes the simple CSV template as a zip: the four files with their columns
// and an example row, ready to fill in and upload as it is.
func WriteSimpleTemplate(w io.Writer) error {
	zw := zip.NewWriter(w)
	for _, f := range simpleTemplate {
		fw, err := zw.Create(f.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, f.body); err != nil {
			return err
		}
	}
	return zw.Close()
}

// ZipFormat tells which format an uploaded zip holds: FormatSimple when it has a file of the
// simple template (students.csv, staff.csv, guardians.csv) and no OneRoster users.csv, else
// FormatOneRoster (whose own checks then say what is missing).
func ZipFormat(zr *zip.Reader) string {
	simple := false
	for _, f := range zr.File {
		switch strings.ToLower(path.Base(f.Name)) {
		case "users.csv", "orgs.csv", "manifest.csv":
			return FormatOneRoster
		case fileStudents, fileStaff, fileGuardians:
			simple = true
		}
	}
	if simple {
		return FormatSimple
	}
	return FormatOneRoster
}
