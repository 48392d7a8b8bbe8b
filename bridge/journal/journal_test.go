package journal

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestEncodeDecode(t *testing.T) {
	in := []Field{{"MESSAGE", "hello"}, {"MULTI", "a\nb\n"}, {"EMPTY", ""}, {"EQ", "x=y"}}
	b, err := Encode(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	want := "MESSAGE=hello\nMULTI\n\x04\x00\x00\x00\x00\x00\x00\x00a\nb\n\nEMPTY=\nEQ=x=y\n"
	if string(b) != want {
		t.Fatalf("got %q\nwant %q", b, want)
	}
	out, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("decoded %d fields", len(out))
	}
	for i := range in {
		if in[i] != out[i] {
			t.Errorf("field %d: %q != %q", i, out[i], in[i])
		}
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{"SVC_NAME": true, "A1": true, "_PID": false, "": false,
		"lower": false, "1X": false, "A-B": false, "A=B": false, strings.Repeat("A", 65): false} {
		if ValidName(name) != ok {
			t.Errorf("ValidName(%q) = %v", name, !ok)
		}
	}
	if _, err := Encode(nil, []Field{{"bad name", "x"}}); !errors.Is(err, ErrFieldName) {
		t.Errorf("Encode accepted a bad name: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	b, _ := Encode(nil, []Field{{"A", "b"}, {"C", "d\ne"}})
	f.Add(b)
	f.Add([]byte("X\n\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, err := Decode(data)
		if err != nil {
			return
		}
		for _, fl := range fields {
			if !ValidName(fl.Name) {
				return
			}
		}
		again, err := Encode(nil, fields)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(again)
		if err != nil || len(back) != len(fields) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range back {
			if back[i] != fields[i] {
				t.Fatalf("round trip changed field %d", i)
			}
		}
	})
}

func TestStreamHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stdout")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Listen(fd, 1)
	f, err := OpenStream(path, StreamOptions{Identifier: "web\nx", Priority: 6})
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("hello\n")
	f.Close()
	nfd, _, err := unix.Accept(fd)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(os.NewFile(uintptr(nfd), "accepted"))
	if want := "web_x\n\n6\n0\n0\n0\n0\nhello\n"; string(got) != want {
		t.Fatalf("got %q want %q", got, want)
	}
}

// FuzzForEachLine: every byte of the input ends up in exactly one message,
// a stripped "<N>" prefix or a line's newline; no message holds a newline
// or exceeds MaxLine.
func FuzzForEachLine(f *testing.F) {
	f.Add([]byte("a\n<3>b\n\n<9>c"), true)
	f.Add([]byte(strings.Repeat("x", MaxLine+5)+"\ny"), false)
	f.Add([]byte("\r\n<1>\n"), true)
	f.Fuzz(func(t *testing.T, in []byte, prefix bool) {
		total, stripped := 0, 0
		err := ForEachLine(bytes.NewReader(in), prefix, 6, func(msg []byte, prio int) error {
			if len(msg) > MaxLine || bytes.IndexByte(msg, '\n') >= 0 || prio < 0 || prio > 7 {
				t.Fatalf("bad message %q prio %d", msg, prio)
			}
			total += len(msg)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Count the prefixes the same way ForEachLine strips them.
		for _, l := range bytes.Split(in, []byte("\n")) {
			for len(l) > MaxLine {
				if prefix && isPrefix(l) {
					stripped += 3
				}
				l = l[MaxLine:]
			}
			if prefix && isPrefix(l) {
				stripped += 3
			}
		}
		// ReadLine drops a \r before the \n: count those as consumed too.
		crlf := bytes.Count(in, []byte("\r\n"))
		if got := total + stripped + bytes.Count(in, []byte("\n")) + crlf; got != len(in) {
			t.Fatalf("bytes accounted %d, input %d (%q)", got, len(in), in)
		}
	})
}

func isPrefix(l []byte) bool {
	return len(l) >= 3 && l[0] == '<' && l[2] == '>' && l[1] >= '0' && l[1] <= '7'
}
