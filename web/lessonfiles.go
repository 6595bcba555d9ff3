package web

// Images next to lessons (issue 6): lessons refer to image files beside them ("![flow](diagram.png)"
// in 02-chat/index.md); the lesson loader renders those as /lesson-files/02-chat/diagram.png and
// this handler serves them from the lessons folder, or from the embedded course.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"time"

	"socketlab/lessons"
)

// handleLessonFile serves the image files of the lessons folder: only names with an image extension
// (lessons.ImageType), no folder listing, nothing hidden ("." or "_"), nothing outside the folder
// (os.Root refuses "..", and symbolic links that lead out of it). SVG, which can carry script,
// is sandboxed by its own Content-Security-Policy.
func (a *App) handleLessonFile() http.Handler {
	notFound := a.handleNotFound()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.PathValue("path")
		ctype, ok := lessons.ImageType(p)
		if !ok || !lessons.ServedFile(p) {
			notFound.ServeHTTP(w, r)
			return
		}
		f, st, err := a.openLessonFile(p)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errNotAFile) {
				a.log.Warn("serving lesson file", "path", p, "err", err)
			}
			notFound.ServeHTTP(w, r)
			return
		}
		defer f.Close()
		rs, ok := f.(io.ReadSeeker)
		if !ok {
			a.log.Error("serving lesson file", "path", p, "err", "file is not seekable")
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-cache") // -watch: an image changes on disk like a lesson does
		if ctype == "image/svg+xml" {
			// Opened on its own, an SVG is a document: no script, no plugins, no same-origin access.
			h.Set("Content-Security-Policy", "sandbox; default-src 'none'; style-src 'unsafe-inline'")
		}
		modTime := st.ModTime()
		if a.cfg.LessonDir == "" {
			modTime = time.Time{} // embedded files have none
		}
		http.ServeContent(w, r, st.Name(), modTime, rs)
	})
}

var errNotAFile = errors.New("not a regular file")

// openLessonFile opens p inside the lessons folder (or the embedded course) and checks it is a
// regular file.
func (a *App) openLessonFile(p string) (fs.File, fs.FileInfo, error) {
	f, err := a.lessonFiles.Open(p)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", p, errNotAFile)
	}
	return f, st, nil
}
