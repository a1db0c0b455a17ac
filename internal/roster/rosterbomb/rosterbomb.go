// Package rosterbomb builds hostile OneRoster exports for tests: a small zip holding one 1 GiB
// line, a zip of millions of bad rows, a zip whose entry is far larger than its header says, and
// folders whose files are one endless line or one endless quoted field. Each is a valid
// manifest and orgs file around a users.csv that attacks the reader, so the import gets as far
// as the attack. Only tests use it.
package rosterbomb

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

const (
	manifest = "propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\n" +
		"file.demographics,absent\nfile.classes,absent\nfile.enrollments,absent\nfile.academicSessions,absent\nfile.courses,absent\n"
	orgs = "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n" +
		"d1,,,Bomb District,district,bomb,\ns1,,,Bomb School,school,0001,d1\n"
	usersHeader = "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName\n"
)

const mib = 1 << 20

// HugeLineZip writes a zip whose users.csv is the header and then one line of lineMiB MiB of
// "a" with no line break. Deflate shrinks it about 1,000 times: 1 GiB fits in about 1 MB.
func HugeLineZip(w io.Writer, lineMiB int) error {
	return repeatedZip(w, []byte(usersHeader), bytes.Repeat([]byte("a"), mib), lineMiB, false)
}

// LyingZip is HugeLineZip with the entry's header claiming the data is as long as its
// compressed bytes: a reader that trusts the header's size is fooled.
func LyingZip(w io.Writer, lineMiB int) error {
	return repeatedZip(w, []byte(usersHeader), bytes.Repeat([]byte("a"), mib), lineMiB, true)
}

// BadRowsZip writes a zip whose users.csv has n rows, each with its own id and a role that does
// not exist: n fatal problems.
func BadRowsZip(w io.Writer, n int) error {
	zw := zip.NewWriter(w)
	if err := addFiles(zw); err != nil {
		return err
	}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "users.csv", Method: zip.Deflate})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	bw.WriteString(usersHeader)
	var row []byte
	for i := range n {
		id := strconv.Itoa(i)
		row = append(row[:0], 'u')
		row = append(row, id...)
		row = append(row, ",,,true,s1,wizard,,,A,B\n"...)
		if _, err := bw.Write(row); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// HugeLineDir writes a folder whose users.csv is the header and then size bytes of NUL with no
// line break, as a sparse file: it costs no disk.
func HugeLineDir(dir string, size int64) error {
	return sparseUsers(dir, usersHeader, size)
}

// HugeFieldDir writes a folder whose users.csv opens a quoted field on its second line and
// never closes it: size bytes (sparse NULs) of one field.
func HugeFieldDir(dir string, size int64) error {
	return sparseUsers(dir, usersHeader+`u1,,,true,s1,student,u1,,"`, size)
}

func sparseUsers(dir, head string, size int64) error {
	if err := os.WriteFile(filepath.Join(dir, "manifest.csv"), []byte(manifest), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "orgs.csv"), []byte(orgs), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "users.csv"))
	if err != nil {
		return err
	}
	if _, err := f.WriteString(head); err != nil {
		f.Close()
		return err
	}
	if err := f.Truncate(int64(len(head)) + size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func addFiles(zw *zip.Writer) error {
	for _, f := range []struct{ name, body string }{{"manifest.csv", manifest}, {"orgs.csv", orgs}} {
		w, err := zw.Create(f.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, f.body); err != nil {
			return err
		}
	}
	return nil
}

// repeatedZip writes users.csv as head followed by n copies of unit without compressing n
// copies: once deflate's window holds nothing but the repeated unit, each flushed copy
// compresses to the same bytes, so the stream is the first block, that block n-1 times, and the
// end. Building a 1 GiB bomb takes a fraction of a second instead of 15.
func repeatedZip(w io.Writer, head, unit []byte, n int, lie bool) error {
	var out bytes.Buffer
	fw, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		return err
	}
	block := func(b ...[]byte) []byte {
		out.Reset()
		for _, p := range b {
			fw.Write(p)
		}
		fw.Flush()
		return bytes.Clone(out.Bytes())
	}
	first := block(head, unit)
	steady := block(unit)
	if again := block(unit); !bytes.Equal(steady, again) {
		return fmt.Errorf("rosterbomb: deflate did not settle on one block for the unit")
	}
	out.Reset()
	fw.Close()
	end := bytes.Clone(out.Bytes())

	crc := crc32.Update(0, crc32.IEEETable, head)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, unit)
	}
	compressed := int64(len(first)) + int64(n-1)*int64(len(steady)) + int64(len(end))
	size := uint64(len(head)) + uint64(n)*uint64(len(unit))
	if lie {
		size = uint64(compressed)
	}
	zw := zip.NewWriter(w)
	if err := addFiles(zw); err != nil {
		return err
	}
	fh := &zip.FileHeader{Name: "users.csv", Method: zip.Deflate, CRC32: crc, CompressedSize64: uint64(compressed), UncompressedSize64: size}
	raw, err := zw.CreateRaw(fh)
	if err != nil {
		return err
	}
	raw.Write(first)
	for range n - 1 {
		if _, err := raw.Write(steady); err != nil {
			return err
		}
	}
	raw.Write(end)
	return zw.Close()
}
