package roster

import "io/fs"

// SecondReadingProblems reads the file name of fsys twice, as an import reads users.csv (and the
// simple format's people files) a second time to write them, and returns the problems of both
// readings. An import keeps the second reading's problems to itself (its rows are checked
// against the first reading's instead), so this is how a test sees the problem a file that grew
// in between gives.
func SecondReadingProblems(fsys fs.FS, name string) ([]Problem, error) {
	src, err := findSource(fsys, nil, Limits{})
	if err != nil {
		return nil, err
	}
	p := newProblems(MaxListed)
	for range 2 {
		t, err := src.open(name, p)
		if err != nil {
			return nil, err
		}
		for t.next() {
		}
		t.close()
	}
	return p.sorted(p.fatal), nil
}
