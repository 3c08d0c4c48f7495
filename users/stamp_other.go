//go:build !unix

package users

import "os"

// stampOf is fi's size and modification time.
func stampOf(fi os.FileInfo) fileStamp {
	return fileStamp{size: fi.Size(), modTime: fi.ModTime()}
}
