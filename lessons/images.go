package lessons

import (
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"

	"socketlab/lessons/blocks"
)

// FilesURL is the URL path under which the server serves the image files
// of the lessons folder: a lesson's relative image "diagram.png" in
// 02-chat/index.md is rendered as /lesson-files/02-chat/diagram.png.
const FilesURL = "/lesson-files/"

// imageTypes are the image files served next to lessons, by extension.
var imageTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".gif":  "image/gif",
	".webp": "image/webp",
	".svg":  "image/svg+xml",
}

// ImageExtensions lists the served image extensions, for messages.
const ImageExtensions = "png, jpg, jpeg, gif, webp, svg"

// ImageType is the Content-Type of a lesson image file by its name, and
// whether a file with that name is served at all.
func ImageType(name string) (string, bool) {
	t, ok := imageTypes[strings.ToLower(path.Ext(name))]
	return t, ok
}

// ServedFile reports whether p, a path inside the lessons fs.FS, is a file
// the server may serve: a valid path to an image, with no hidden ("." or
// "_") folder or file on the way.
func ServedFile(p string) bool {
	if p == "" || p == "." || strings.Contains(p, "\\") {
		return false
	}
	if _, ok := ImageType(p); !ok {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") || strings.HasPrefix(seg, "_") {
			return false
		}
	}
	return true
}

// imagePath is the file in the lessons fs.FS a relative image destination
// of the lesson file points at, or "" for any other destination (absolute,
// external, outside the folder).
func imagePath(file, dest string) (p, fragment string) {
	u, err := url.Parse(dest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.Path == "" || strings.HasPrefix(u.Path, "/") {
		return "", ""
	}
	p = path.Join(path.Dir(file), u.Path)
	if !ServedFile(p) {
		return "", ""
	}
	return p, u.Fragment
}

// fileURL is the URL the server serves lessons-folder file p at, with a
// version of the file's size and modification time in the query: a page
// changes when one of its images does, so live reload (serve -watch)
// reloads the tabs showing it, and a browser never shows a stale copy.
func fileURL(fsys fs.FS, p, fragment string) string {
	u := url.URL{Path: FilesURL + p, Fragment: fragment}
	if st, err := fs.Stat(fsys, p); err == nil {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d %d", st.Size(), st.ModTime().UnixNano())
		u.RawQuery = "v=" + strconv.FormatUint(h.Sum64()&0xffffffffff, 36)
	}
	return u.String()
}

// rewriteImages points the relative images of a lesson body, and of its
// quizzes, at the URL the server serves them at: as written they would
// resolve against /lessons/SLUG, where two lessons' "diagram.png" collide.
func rewriteImages(doc ast.Node, fsys fs.FS, file string) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Image:
			if p, frag := imagePath(file, string(blocks.ResolveURL(n.Destination))); p != "" {
				n.Destination = []byte(fileURL(fsys, p, frag))
			}
		case *blocks.ExerciseNode:
			x := &n.Exercise
			for _, k := range x.Images {
				from, to, ok := imageSrc(fsys, file, k.Href)
				if !ok {
					continue
				}
				x.GoalHTML = strings.ReplaceAll(x.GoalHTML, from, to)
				for i := range x.HintsHTML {
					x.HintsHTML[i] = strings.ReplaceAll(x.HintsHTML[i], from, to)
				}
			}
		case *blocks.QuizNode:
			for _, k := range n.Quiz.Images {
				from, to, ok := imageSrc(fsys, file, k.Href)
				if !ok {
					continue
				}
				for i := range n.Quiz.Questions {
					q := &n.Quiz.Questions[i]
					q.PromptHTML = strings.ReplaceAll(q.PromptHTML, from, to)
					for j := range q.Choices {
						c := &q.Choices[j]
						c.TextHTML = strings.ReplaceAll(c.TextHTML, from, to)
						c.ExplanationHTML = strings.ReplaceAll(c.ExplanationHTML, from, to)
					}
				}
			}
		}
		return ast.WalkContinue, nil
	})
}

// imageSrc is the src attribute of an image as written (href) and as served.
func imageSrc(fsys fs.FS, file, href string) (from, to string, ok bool) {
	p, frag := imagePath(file, href)
	if p == "" {
		return "", "", false
	}
	to = `src="` + string(util.EscapeHTML(util.URLEscape([]byte(fileURL(fsys, p, frag)), true))) + `"`
	from = `src="` + string(util.EscapeHTML(util.URLEscape([]byte(href), true))) + `"`
	return from, to, true
}
