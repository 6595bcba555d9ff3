// Package templates holds the templ components of the Socket Lab site and
// the view models they render. It imports templ only: main builds the view
// models from the lesson index and the static assets.
package templates

import (
	"fmt"
	"strconv"
	"strings"
)

// Site is what every page needs from the wiring: hashed asset URLs (from
// package static) and the site name.
type Site struct {
	CSS []string // stylesheet URLs, in order (site.css, then chroma's)
	JS  []string // ES module URLs, each rendered as <script type="module">
	// ImportMap maps module URLs to the URLs to load instead (content-hashed), rendered as the
	// page's <script type="importmap">, before any module.
	ImportMap map[string]string
	Name      string // shown in the header and the <title>; "Socket Lab" if empty
	Icon      string // the favicon's URL ("" for none)
	Nav       []Link // header links (the playground, joining a class); none under socketlab run
}

// Link is one header link.
type Link struct{ Href, Text string }

// LessonLink is one lesson as listed on the home page or linked from prev/next.
type LessonLink struct {
	Slug, Title, Summary string
	Number               int
	Draft                bool
	Broken               bool // serve -watch: the file did not load; its page shows why
}

// Problem is one thing the lesson checker found, as serve -watch shows it in the page.
type Problem struct {
	Severity string // "error" (the lesson is not served until fixed) or "warning" (a link, an image)
	Where    string // "lessons/05-rooms.md:12:3", where an editor jumps
	Message  string
	Slug     string        // the lesson page it is about, "" for a chapter.yaml or the folder
	Lines    []ProblemLine // the lines around it, with Where's line marked
}

// ProblemLine is one line of a lesson file shown around a problem.
type ProblemLine struct {
	N    int
	Text string
	Mark bool // the line the problem is on
}

// HomeView is the model of HomePage.
type HomeView struct {
	Site    Site
	Lessons []LessonLink // in course order
	// Groups are Lessons split into runs of lessons outside any chapter and
	// chapters, in course order; nil lists Lessons as one run.
	Groups []LessonGroup
	// Problems (serve -watch) is everything the checker finds in the lessons folder.
	Problems []Problem
}

// LessonGroup is a run of consecutive lessons of the home page: a chapter
// (Chapter set) or lessons outside any chapter.
type LessonGroup struct {
	Chapter *ChapterHeading
	Lessons []LessonLink
}

// ChapterHeading is a chapter as the home page shows it. ID is its heading's element id.
type ChapterHeading struct {
	ID, Title, Summary string
}

// TOCItem is one heading of a lesson (Level 2 or 3), ID is its anchor.
type TOCItem struct {
	Level    int
	ID, Text string
}

// LessonView is the model of LessonPage.
type LessonView struct {
	Site                 Site
	Slug, Title, Summary string
	Objectives           []string
	Questions            []string
	QuestionsHTML        []string // Questions as safe HTML from inline Markdown (lessons.InlineHTML), rendered raw
	Number, Total        int
	Prev, Next           *LessonLink
	TOC                  []TOCItem
	Body                 string // trusted HTML rendered by our goldmark; the only page field rendered raw
	// Broken (serve -watch): the lesson did not load. The page shows Problems in place of the
	// lesson, keeps its number and neighbours, and offers nothing to do with it (done, class).
	Broken   bool
	Problems []Problem // serve -watch: the checker's findings in this lesson's file
	Static   bool      // socketlab export: no server behind the page (no "Start a class")
}

// StaticWidgetView is a demo or an exercise in an exported course (socketlab export): what it
// would do, and the command that makes it live.
type StaticWidgetView struct {
	Label string   // "Live demo: rooms", "Exercise"
	Title string   // the demo's or exercise's title, "" for none
	Lines []string // what it does, one line each: the clients, each step as a Socket.IO call
}

// NotFoundView is the model of NotFoundPage.
type NotFoundView struct {
	Site Site
	Path string
}

// DemoView is a live-demo placeholder, hydrated later by the demo JS from
// its data-* attributes. ConfigJSON must be a JSON object (validated by the caller).
type DemoView struct {
	ID, Name   string
	Title      string // for people ("Who gets an emit"); Name when empty
	ConfigJSON string
}

// title is what the page calls the demo.
func (v DemoView) title() string {
	if v.Title != "" {
		return v.Title
	}
	return v.Name
}

// ChoiceView is one answer of a quiz question. TextHTML and ExplanationHTML
// are trusted inline HTML (goldmark output, without a wrapping <p> for TextHTML).
type ChoiceView struct {
	ID, TextHTML, ExplanationHTML string
	Correct                       bool
}

// QuestionView is one question of a quiz. PromptHTML is trusted HTML; it is
// rendered inside a <legend>, so it should be phrasing content (no <p>).
type QuestionView struct {
	ID, PromptHTML string
	Multiple       bool // checkboxes instead of radio buttons
	Choices        []ChoiceView
}

// QuizView is one quiz (one <form>). ID must be unique within its lesson:
// answers are stored in localStorage under the lesson slug and this ID.
type QuizView struct {
	ID        string
	Questions []QuestionView
}

// ExerciseView is one graded exercise. GoalHTML and HintsHTML are trusted
// HTML (goldmark output); ConfigJSON is the grader's input, a JSON object.
type ExerciseView struct {
	ID, Title, Demo string
	Clients         []string
	GoalHTML        string
	HintsHTML       []string
	Solution        string
	ConfigJSON      string
}

func exerciseElementID(id string) string { return "sl-" + id }

func exerciseTitle(v ExerciseView) string {
	if v.Title != "" {
		return v.Title
	}
	return "write the server"
}

// clientList is "Ada, Grace and Linus".
func clientList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// DefaultName is used when Site.Name is empty.
const DefaultName = "Socket Lab"

// LessonURL is the URL of a lesson page; the server must route it.
func LessonURL(slug string) string { return "/lessons/" + slug }

func siteName(s Site) string {
	if s.Name == "" {
		return DefaultName
	}
	return s.Name
}

func pageTitle(s Site, title string) string {
	if title == "" {
		return siteName(s)
	}
	return title + " · " + siteName(s)
}

func itoa(n int) string { return strconv.Itoa(n) }

// staticTitle is a static widget's heading: "Live demo: rooms: Who gets it".
func staticTitle(v StaticWidgetView) string {
	if v.Title == "" {
		return v.Label
	}
	return v.Label + ": " + v.Title
}

// problemLines is the excerpt of a lesson file around a problem: "> " marks its line.
func problemLines(lines []ProblemLine) string {
	var b strings.Builder
	for _, l := range lines {
		mark := "  "
		if l.Mark {
			mark = "> "
		}
		fmt.Fprintf(&b, "%s%4d | %s\n", mark, l.N, l.Text)
	}
	return b.String()
}

// problemCount says how many errors and warnings ps holds: "2 errors and 1 warning".
func problemCount(ps []Problem) string {
	errs, warns := 0, 0
	for _, p := range ps {
		if p.Severity == "error" {
			errs++
		} else {
			warns++
		}
	}
	plural := func(n int, what string) string {
		if n == 1 {
			return "1 " + what
		}
		return strconv.Itoa(n) + " " + what + "s"
	}
	switch {
	case errs > 0 && warns > 0:
		return plural(errs, "error") + " and " + plural(warns, "warning")
	case errs > 0:
		return plural(errs, "error")
	default:
		return plural(warns, "warning")
	}
}

// Element ids made from block ids carry the "sl-" prefix and "--" separators
// so they cannot collide with heading ids that goldmark derives from text.

// quizFormID is the id of a quiz's <form>.
func quizFormID(quizID string) string { return "sl-" + quizID }

// demoElementID is the id of a demo's <section>.
func demoElementID(demoID string) string { return "sl-" + demoID }

// inputID is the id of one choice's <input>, unique within a page.
func inputID(quizID, questionID, choiceID string) string {
	return "sl-" + quizID + "--" + questionID + "--" + choiceID
}

// inputName groups the choices of one question.
func inputName(quizID, questionID string) string {
	return quizID + "-" + questionID
}

func inputType(q QuestionView) string {
	if q.Multiple {
		return "checkbox"
	}
	return "radio"
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func tocLevelClass(level int) string {
	if level > 2 {
		return "toc-sub"
	}
	return "toc-top"
}

// importMap is the JSON of a <script type="importmap">.
type importMap struct {
	Imports map[string]string `json:"imports"`
}

// urlParts splits a URL after each "/", so a long one wraps between its parts (never inside the
// join code).
func urlParts(u string) []string { return strings.SplitAfter(u, "/") }
