// Package example holds the example service tree that "svbridge demo" runs:
// a logged clock, a log-less service that signals readiness, a normally-down
// crashing service and a run script built from chain loaders. Every service
// has a killpg file: its run script leads a process group, and supervise
// signals the whole group, so a stop ends the script's children (the
// sleeps of its loop) with it.
package example

import (
	"embed"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

//go:embed all:tree
var tree embed.FS

// Install writes the example tree into dir (created if needed). Files that
// already exist are left alone, so an earlier demo's logs survive.
func Install(dir string) error {
	return fs.WalkDir(tree, "tree", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("tree", p)
		dst := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0755)
		}
		if _, err := os.Lstat(dst); err == nil {
			return nil
		}
		b, err := tree.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0644)
		if base := path.Base(p); base == "run" || base == "finish" {
			mode = 0755
		}
		return os.WriteFile(dst, b, mode)
	})
}

// Services lists the service directories of the tree, in order.
func Services() []string {
	entries, _ := tree.ReadDir("tree")
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}
