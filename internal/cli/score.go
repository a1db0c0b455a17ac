package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/trustpulse/trustpulse/internal/scoring"
)

const scoreUsage = `usage: trustpulse score calibrate --csv FILE --categories K [--out FILE]
       trustpulse score persons --csv FILE --params FILE [--out FILE]
       trustpulse score rescore [flags]`

// runScore is `trustpulse score`: Rasch calibration and person measures on a
// CSV file, for analysts and for checking TrustPulse against other software.
func runScore(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, scoreUsage)
		return usageError("score: missing subcommand")
	}
	switch args[0] {
	case "calibrate":
		return scoreCalibrate(env, args[1:])
	case "persons":
		return scorePersons(env, args[1:])
	case "rescore":
		return runRescore(ctx, env, args[1:])
	}
	fmt.Fprintln(env.Stderr, scoreUsage)
	return usageError("score: unknown subcommand %q", args[0])
}

// parseScoreFlags parses fset, mapping -h to success and other flag errors to
// exit 2 (the flag package has already printed the problem and the usage).
func parseScoreFlags(fset *flag.FlagSet, args []string) (help bool, err error) {
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, &ExitError{Code: 2}
	}
	if fset.NArg() > 0 {
		return false, usageError("%s: unexpected argument %q", fset.Name(), fset.Arg(0))
	}
	return false, nil
}

func scoreCalibrate(env *Env, args []string) error {
	fset := flag.NewFlagSet("score calibrate", flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	csvPath := fset.String("csv", "", "answers `FILE`: header id,<item id>,…; cells 0..K-1 or empty")
	k := fset.Int("categories", 0, "number of answer categories `K` (answers 0..K-1)")
	out := fset.String("out", "", "write the calibration JSON to `FILE` instead of stdout")
	if help, err := parseScoreFlags(fset, args); help || err != nil {
		return err
	}
	if *csvPath == "" {
		return usageError("score calibrate: --csv is required")
	}
	if *k < 2 || *k > 100 {
		return usageError("score calibrate: --categories must be 2..100, got %d", *k)
	}
	m, err := readAnswers(*csvPath, *k)
	if err != nil {
		return err
	}
	cal, err := scoring.Calibrate(m)
	if err != nil {
		var ie *scoring.InputError
		if errors.As(err, &ie) && ie.Source == "" {
			ie.Source = *csvPath
			return failure(ie)
		}
		return failure(fmt.Errorf("%s: %w", *csvPath, err))
	}
	b, err := json.MarshalIndent(cal, "", "  ")
	if err != nil {
		return fmt.Errorf("score calibrate: encoding the calibration: %w", err)
	}
	return writeOutput(env, *out, append(b, '\n'))
}

func scorePersons(env *Env, args []string) error {
	fset := flag.NewFlagSet("score persons", flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	csvPath := fset.String("csv", "", "answers `FILE`: header id,<item id>,…; cells 0..K-1 or empty")
	paramsPath := fset.String("params", "", "calibration JSON `FILE` written by score calibrate")
	out := fset.String("out", "", "write the CSV to `FILE` instead of stdout")
	if help, err := parseScoreFlags(fset, args); help || err != nil {
		return err
	}
	if *csvPath == "" || *paramsPath == "" {
		return usageError("score persons: --csv and --params are required")
	}
	cal, err := readCalibration(*paramsPath)
	if err != nil {
		return err
	}
	m, err := readAnswers(*csvPath, cal.K)
	if err != nil {
		return err
	}
	// Columns are matched to the calibration by item id, so a file may hold
	// the items in another order or only some of them (a shorter form);
	// a column the calibration does not know is a mistake, not ignored.
	pos := make(map[string]int, len(cal.Items))
	for i, it := range cal.Items {
		pos[it.ID] = i
	}
	col := make([]int, len(m.Items))
	for j, id := range m.Items {
		i, ok := pos[id]
		if !ok {
			return failure(&scoring.InputError{Source: *csvPath, Line: 1, Item: id, Problem: "not in the calibration " + *paramsPath})
		}
		col[j] = i
	}

	buf := append([]byte(nil), "id,raw,n_answered,wle,se\n"...)
	answers := make([]int8, len(cal.Items))
	for n, row := range m.Data {
		for i := range answers {
			answers[i] = scoring.Missing
		}
		for j, x := range row {
			answers[col[j]] = x
		}
		pm, err := cal.Person(answers)
		if err != nil && !errors.Is(err, scoring.ErrNoAnswers) {
			return failure(fmt.Errorf("%s: person %q: %w", *csvPath, m.Persons[n], err))
		}
		buf = appendCSVField(buf, m.Persons[n])
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(pm.Raw), 10)
		buf = append(buf, ',')
		buf = strconv.AppendInt(buf, int64(pm.NAnswered), 10)
		buf = append(buf, ',')
		if err == nil {
			// No measure for a person without answers: empty cells, not 0.
			buf = strconv.AppendFloat(buf, pm.WLE, 'f', 6, 64)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, pm.SE, 'f', 6, 64)
		} else {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
	}
	return writeOutput(env, *out, buf)
}

// appendCSVField appends s as one RFC 4180 field, quoted only when it must be,
// so ids with commas or quotes read back as they were written.
func appendCSVField(buf []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(buf, s...)
	}
	buf = append(buf, '"')
	buf = append(buf, strings.ReplaceAll(s, `"`, `""`)...)
	return append(buf, '"')
}

func readAnswers(path string, k int) (scoring.Matrix, error) {
	f, err := os.Open(path)
	if err != nil {
		return scoring.Matrix{}, failure(err)
	}
	defer f.Close()
	m, err := scoring.ReadMatrixCSV(bufio.NewReaderSize(f, 1<<16), path, k)
	if err != nil {
		return scoring.Matrix{}, failure(err)
	}
	return m, nil
}

// readCalibration reads and checks a calibration file, so a hand-edited or
// truncated file fails here with its name rather than as odd measures.
func readCalibration(path string) (scoring.Calibration, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return scoring.Calibration{}, failure(err)
	}
	var cal scoring.Calibration
	if err := json.Unmarshal(b, &cal); err != nil {
		return cal, failure(fmt.Errorf("%s: not a calibration file: %w", path, err))
	}
	bad := func(format string, args ...any) error {
		return failure(fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if len(cal.Items) == 0 {
		return cal, bad("no items")
	}
	if cal.K == 0 {
		cal.K = len(cal.Thresholds) + 1
	}
	if cal.K < 2 || cal.K > 100 || len(cal.Thresholds) != cal.K-1 {
		return cal, bad("%d categories need %d thresholds, found %d", cal.K, cal.K-1, len(cal.Thresholds))
	}
	seen := make(map[string]bool, len(cal.Items))
	for _, it := range cal.Items {
		if it.ID == "" || seen[it.ID] {
			return cal, bad("item id %q is empty or repeated", it.ID)
		}
		seen[it.ID] = true
		if !finite(it.Location) {
			return cal, bad("item %s: location %v is not a finite number", it.ID, it.Location)
		}
	}
	for k, t := range cal.Thresholds {
		if !finite(t) {
			return cal, bad("threshold %d: %v is not a finite number", k+1, t)
		}
	}
	return cal, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func writeOutput(env *Env, path string, b []byte) error {
	if path == "" {
		if _, err := env.Stdout.Write(b); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		return nil
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
