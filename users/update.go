package users

import (
	"errors"
	"io/fs"
)

// Update loads the users file at path (an empty one if it doesn't exist),
// lets fn change it and saves it, holding a lock so that two concurrent
// updates (two `tally users add`) don't lose one another's change. The
// lock is advisory, on the file's directory (where supported): the file
// itself is replaced by each save.
func Update(path string, fn func(*File) error) error {
	unlock, err := lockDir(path)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f = NewFile()
	case err != nil:
		return err
	}
	if err := fn(f); err != nil {
		return err
	}
	return f.Save(path)
}
