package chain

import (
	"errors"
	"reflect"
	"syscall"
	"testing"
)

func TestSearchOrder(t *testing.T) {
	tests := []struct {
		file, path string
		fail       map[string]error // candidates that fail, and how
		tried      []string
		err        error
	}{
		{"a/b", "/x:/y", nil, []string{"a/b"}, nil},
		{"sh", "/x:/y", map[string]error{"/x/sh": syscall.ENOENT}, []string{"/x/sh", "/y/sh"}, nil},
		{"sh", ":/y", map[string]error{"./sh": syscall.ENOENT}, []string{"./sh", "/y/sh"}, nil},
		{"sh", "", map[string]error{"./sh": syscall.ENOENT}, []string{"./sh"}, syscall.ENOENT},
		{"sh", "/x:/y:", map[string]error{"/x/sh": syscall.EACCES, "/y/sh": syscall.ENOENT, "./sh": syscall.ENOENT},
			[]string{"/x/sh", "/y/sh", "./sh"}, syscall.EACCES},
		{"sh", "/x:/y", map[string]error{"/x/sh": syscall.ENOEXEC}, []string{"/x/sh"}, syscall.ENOEXEC},
		{"sh", "/x:/y", map[string]error{"/x/sh": syscall.EISDIR, "/y/sh": syscall.EPERM}, []string{"/x/sh", "/y/sh"}, syscall.EPERM},
	}
	for _, tc := range tests {
		var tried []string
		err := Search(tc.file, tc.path, func(name string) error {
			tried = append(tried, name)
			return tc.fail[name]
		})
		if !reflect.DeepEqual(tried, tc.tried) || !errors.Is(err, tc.err) && err != tc.err {
			t.Errorf("Search(%q, %q): tried %q, err %v; want %q, %v", tc.file, tc.path, tried, err, tc.tried, tc.err)
		}
	}
}

func TestEdit(t *testing.T) {
	env := []string{"A=1", "B=2", "C=3", "B=dup", "NOEQ"}
	got := Edit(env, []string{"B=x", "A", "D=4", "C=y=z", "NOEQ", "E"})
	// Each removal moves the last entry into the hole: B=2 makes room for
	// NOEQ, A=1 for the appended B=x, C=3 for D=4. C's name is C, its value
	// y=z; removing NOEQ (no '=') or an absent E changes nothing.
	want := []string{"B=x", "NOEQ", "D=4", "B=dup", "C=y=z"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Edit: got %q, want %q", got, want)
	}
	if env[0] != "A=1" || len(env) != 5 {
		t.Errorf("Edit changed its input: %q", env)
	}
}

func TestGetenv(t *testing.T) {
	env := []string{"PATHX=no", "PATH=first", "PATH=second"}
	if v, ok := Getenv(env, "PATH"); !ok || v != "first" {
		t.Errorf("Getenv: %q %v", v, ok)
	}
	if SearchPath(nil) != DefaultPath {
		t.Errorf("SearchPath without PATH: %q", SearchPath(nil))
	}
	if SearchPath([]string{"PATH="}) != "" {
		t.Errorf("an empty PATH must stay empty")
	}
}
