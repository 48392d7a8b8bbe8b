package cli

import (
	"errors"
	"syscall"
)

// errText is the wording daemontools' error_str gives to each errno; messages
// such as "unable to chdir to x: file does not exist" depend on it.
var errText = map[syscall.Errno]string{
	syscall.EACCES:       "access denied",
	syscall.EAGAIN:       "temporary failure",
	syscall.ECONNREFUSED: "connection refused",
	syscall.EEXIST:       "file already exists",
	syscall.EINPROGRESS:  "operation in progress",
	syscall.EINTR:        "interrupted system call",
	syscall.EIO:          "input/output error",
	syscall.EISDIR:       "is a directory",
	syscall.EMLINK:       "too many links",
	syscall.ENXIO:        "device not configured",
	syscall.ENOENT:       "file does not exist",
	syscall.ENOMEM:       "out of memory",
	syscall.EPERM:        "permission denied",
	syscall.EPIPE:        "broken pipe",
	syscall.EPROTO:       "protocol error",
	syscall.ETIMEDOUT:    "timed out",
	syscall.ETXTBSY:      "text busy",
	syscall.E2BIG:        "argument list too long",
	syscall.EADDRINUSE:   "address already used",
	syscall.EBADF:        "file descriptor not open",
	syscall.EBUSY:        "device busy",
	syscall.ECHILD:       "no child processes",
	syscall.EDEADLK:      "operation would cause deadlock",
	syscall.EDQUOT:       "disk quota exceeded",
	syscall.EFAULT:       "bad address",
	syscall.EFBIG:        "file too big",
	syscall.EINVAL:       "invalid argument",
	syscall.ELOOP:        "symbolic link loop",
	syscall.EMFILE:       "process cannot open more files",
	syscall.EMSGSIZE:     "message too long",
	syscall.ENAMETOOLONG: "file name too long",
	syscall.ENFILE:       "system cannot open more files",
	syscall.ENOBUFS:      "out of buffer space",
	syscall.ENODEV:       "device does not support operation",
	syscall.ENOEXEC:      "exec format error",
	syscall.ENOLCK:       "no locks available",
	syscall.ENOSPC:       "out of disk space",
	syscall.ENOSYS:       "system call not available",
	syscall.ENOTDIR:      "not a directory",
	syscall.ENOTEMPTY:    "directory not empty",
	syscall.ENOTSOCK:     "not a socket",
	syscall.ENOTTY:       "not a tty",
	syscall.EOPNOTSUPP:   "operation not supported",
	syscall.ERANGE:       "output out of range",
	syscall.EROFS:        "read-only file system",
	syscall.ESPIPE:       "unseekable descriptor",
	syscall.ESRCH:        "no such process",
	syscall.ESTALE:       "stale NFS file handle",
	syscall.EXDEV:        "cross-device link",
}

// ErrStr renders err as daemontools does: the errno wording of error_str
// when err wraps a syscall.Errno, "unknown error" for an unknown errno, and
// err.Error() for errors that carry no errno.
func ErrStr(err error) string {
	if err == nil {
		return "no error"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if s, ok := errText[errno]; ok {
			return s
		}
		return "unknown error"
	}
	return err.Error()
}
