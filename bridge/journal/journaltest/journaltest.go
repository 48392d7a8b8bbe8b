// Package journaltest is a fake journald for the tests of journald's
// senders: a native-protocol socket of the test's own that decodes what it
// receives, datagrams or sealed files passed with SCM_RIGHTS, with
// journal.Decode.
package journaltest

import (
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/svbridge/svbridge/bridge/journal"
	"github.com/svbridge/svbridge/internal/testkit"
)

// Journald stands in for journald's native socket at Path.
type Journald struct {
	Path  string
	fd    int
	close func()
}

// Listen binds a datagram socket at path; it is closed at the test's end.
func Listen(t testing.TB, path string) *Journald {
	t.Helper()
	fd, close := testkit.ListenDatagram(t, path)
	return &Journald{Path: path, fd: fd, close: close}
}

// Close makes journald go away: the socket is closed and its file removed.
func (j *Journald) Close() { j.close() }

// Recv returns the next entry, decoded, as a map of its fields (waiting
// at most 10 s).
func (j *Journald) Recv(t testing.TB) map[string]string {
	t.Helper()
	buf := make([]byte, 1<<20)
	oob := make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := unix.Recvmsg(j.fd, buf, oob, 0)
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	data := buf[:n]
	if oobn > 0 {
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 {
			t.Fatalf("control message: %v", err)
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			t.Fatalf("rights: %v", err)
		}
		f := os.NewFile(uintptr(fds[0]), "passed")
		defer f.Close()
		if seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0); err != nil || seals&unix.F_SEAL_WRITE == 0 {
			t.Errorf("passed fd not sealed: %v %v", seals, err)
		}
		f.Seek(0, io.SeekStart)
		data, err = io.ReadAll(f)
		if err != nil {
			t.Fatal(err)
		}
	}
	fields, err := journal.Decode(data)
	if err != nil {
		t.Fatalf("decode %q: %v", data, err)
	}
	m := map[string]string{}
	for _, f := range fields {
		m[f.Name] = f.Value
	}
	return m
}
