package users

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// Source answers the server's lookups from a users file and reloads the
// file when it changes on disk (its size, modification time or inode), so
// `tally users add` takes effect on the next connection without a restart.
// A file that fails to reload is logged and the users loaded before stay
// in force.
type Source struct {
	path string
	log  *slog.Logger

	mu    sync.Mutex
	file  *File
	stamp fileStamp
}

// fileStamp identifies one version of the file on disk.
type fileStamp struct {
	size    int64
	modTime time.Time
	ino     uint64
}

// Open loads the users file at path. A missing or malformed file is an
// error. A nil log discards logs.
func Open(path string, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Source{path: path, log: log}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	f, err := Load(path)
	if err != nil {
		return nil, err
	}
	s.file, s.stamp = f, stampOf(fi)
	s.warnMode(fi)
	return s, nil
}

// Lookup returns the user called name from the current file.
func (s *Source) Lookup(name string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reloadIfChanged()
	return s.file.Lookup(name)
}

// reloadIfChanged reloads the file when its stamp changed.
func (s *Source) reloadIfChanged() {
	fi, err := os.Stat(s.path)
	if err != nil {
		s.log.Warn("users: can't stat the users file; keeping the users loaded before", "path", s.path, "err", err)
		return
	}
	stamp := stampOf(fi)
	if stamp == s.stamp {
		return
	}
	s.stamp = stamp // a broken version is reported once
	f, err := Load(s.path)
	if err != nil {
		s.log.Warn("users: can't reload the users file; keeping the users loaded before", "path", s.path, "err", err)
		return
	}
	s.file = f
	s.warnMode(fi)
	s.log.Info("users: reloaded the users file", "path", s.path, "users", len(f.users))
}

// warnMode warns when others than the owner may read the file.
func (s *Source) warnMode(fi os.FileInfo) {
	if fi.Mode().Perm()&0o077 != 0 {
		s.log.Warn("users: the users file is readable by others than its owner; chmod 600 it", "path", s.path, "mode", fi.Mode().Perm().String())
	}
}

// Reload reads the file again now, whether or not it looks changed (SIGHUP).
// On an error the users loaded before stay in force and the error is
// returned.
func (s *Source) Reload() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	f, err := Load(s.path)
	if err != nil {
		return err
	}
	s.file, s.stamp = f, stampOf(fi)
	s.warnMode(fi)
	s.log.Info("users: reloaded the users file", "path", s.path, "users", len(f.users))
	return nil
}
