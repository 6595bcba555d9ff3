package playground

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Limits of a predict-the-outcome check.
const (
	minOutcomeChoices = 3
	maxOutcomeChoices = 8
	maxOutcomeText    = 300
	minAskTimeout     = 100 // ms; maxAskTimeout (kind_acks.go) is the other end
)

// OutcomePrediction is a predict-the-outcome check (`outcome:` in a demo block, docs/authoring.md):
// the page plays Steps live, observes what happens, and grades the student's choice by the one
// choice whose Expect matches what it observed. Nothing here says which choice is right.
type OutcomePrediction struct {
	Question string          `json:"question"`
	Steps    []OutcomeStep   `json:"steps"`
	Choices  []OutcomeChoice `json:"choices"`
}

// OutcomeStep is a script step (Step) or one of the kind's own actions.
type OutcomeStep struct {
	Step
	// Answers sets how the client answers questions (acks): fast, slow or never.
	Answers string `json:"answers,omitempty"`
	// Ask: the client asks this client, through the server, and waits for its ack (acks).
	Ask string `json:"ask,omitempty"`
	// Timeout is Ask's timeout in ms (100 to 10000; default 1000).
	Timeout int `json:"timeout,omitempty"`
	// Deliver: the client delivers a job to this client through the server's queue (queue).
	Deliver string `json:"deliver,omitempty"`
	// Text is the question asked or the job delivered.
	Text string `json:"text,omitempty"`
}

// OutcomeChoice is one answer the student may pick: its words, and the outcome it stands for.
type OutcomeChoice struct {
	Text   string  `json:"text"`
	Expect Outcome `json:"expect"`
}

// Outcome is what a choice says happens, as facts about one client that the page observes.
// Every fact given must hold for the choice to match.
type Outcome struct {
	Client string `json:"client"`
	// Ack is what the client's last Ask got back: reply, error, or none (no ack came back: the
	// page waits the ask's timeout plus 5 s).
	Ack string `json:"ack,omitempty"`
	// Error is the error's message, with ack: error ("operation has timed out").
	Error string `json:"error,omitempty"`
	// Answers is how many answers the reply carried, with ack: reply.
	Answers *int `json:"answers,omitempty"`
	// Receives and Times: the client received the event Receives exactly Times times while the
	// scenario played.
	Receives string `json:"receives,omitempty"`
	Times    *int   `json:"times,omitempty"`
	// Queued is how many jobs for the client still wait in the server's queue at the end (queue).
	Queued *int `json:"queued,omitempty"`
}

// AnswerModes are the values of a step's answers: (static/js/kinds/acks.js).
var AnswerModes = []string{"fast", "slow", "never"}

// AckOutcomes are the values of an outcome's ack:.
var AckOutcomes = []string{"reply", "error", "none"}

// validate reports every problem of the check (errors.Join), each naming its path: "steps[1]: …",
// "choices[0]: expect: …".
func (o *OutcomePrediction) validate(kind string, clients map[string]bool, check func(string, Step) error) error {
	var errs []error
	if strings.TrimSpace(o.Question) == "" {
		errs = append(errs, errors.New("question: write the question the student answers"))
	} else if len(o.Question) > maxOutcomeText {
		errs = append(errs, fmt.Errorf("question: longer than %d bytes", maxOutcomeText))
	}
	if len(o.Steps) == 0 {
		errs = append(errs, errors.New("steps: the scenario needs at least one step"))
	}
	if len(o.Steps) > maxScriptSteps {
		return errors.Join(append(errs, fmt.Errorf("steps: %d steps, at most %d", len(o.Steps), maxScriptSteps))...)
	}
	notClient := func(name string) error {
		return fmt.Errorf("client %q is not one of the demo's clients (%s)", name, strings.Join(sortedKeys(clients), ", "))
	}
	asks := map[string]bool{}
	for i, s := range o.Steps {
		if err := s.validate(kind, clients, notClient, check, fmt.Sprintf("steps[%d]", i)); err != nil {
			errs = append(errs, err)
		}
		if s.Ask != "" {
			asks[s.Client] = true
		}
	}
	if len(o.Choices) < minOutcomeChoices || len(o.Choices) > maxOutcomeChoices {
		errs = append(errs, fmt.Errorf("choices: %d choices, want %d to %d", len(o.Choices), minOutcomeChoices, maxOutcomeChoices))
		if len(o.Choices) > maxOutcomeChoices {
			return errors.Join(errs...)
		}
	}
	for i, ch := range o.Choices {
		if err := ch.validate(kind, clients, asks, notClient, o.Choices[:i]); err != nil {
			errs = append(errs, fmt.Errorf("choices[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (ch *OutcomeChoice) validate(kind string, clients, asks map[string]bool, notClient func(string) error, before []OutcomeChoice) error {
	if strings.TrimSpace(ch.Text) == "" {
		return errors.New("text: write the outcome in the student's words")
	}
	if len(ch.Text) > maxOutcomeText {
		return fmt.Errorf("text: longer than %d bytes", maxOutcomeText)
	}
	if err := ch.Expect.validate(kind, clients, asks, notClient); err != nil {
		return fmt.Errorf("expect: %w", err)
	}
	for j, b := range before {
		if reflect.DeepEqual(b.Expect, ch.Expect) {
			return fmt.Errorf("expect: the same outcome as choices[%d]: one of them could never be the only match", j)
		}
	}
	return nil
}

// prefixEach puts prefix before the message of err, or of each error err joins.
func prefixEach(prefix string, err error) error {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return fmt.Errorf("%s: %w", prefix, err)
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, prefixEach(prefix, e))
	}
	return errors.Join(out...)
}

func (s *OutcomeStep) validate(kind string, clients map[string]bool, notClient func(string) error, check func(string, Step) error, where string) error {
	own := 0
	for _, set := range []bool{s.Answers != "", s.Ask != "", s.Deliver != ""} {
		if set {
			own++
		}
	}
	if own == 0 {
		if s.Timeout != 0 || s.Text != "" {
			return fmt.Errorf("%s: timeout and text are for ask and deliver steps", where)
		}
		return check(where, s.Step)
	}
	if own > 1 || s.Emit != "" || s.Join != "" || s.Leave != "" || s.Disconnect || s.Connect {
		return fmt.Errorf("%s: a step does exactly one of emit, join, leave, disconnect, connect, answers, ask, deliver", where)
	}
	if !clients[s.Client] {
		return fmt.Errorf("%s: %w", where, notClient(s.Client))
	}
	if len(s.Text) > maxOutcomeText {
		return fmt.Errorf("%s: text: longer than %d bytes", where, maxOutcomeText)
	}
	switch {
	case s.Answers != "":
		if kind != "acks" {
			return fmt.Errorf("%s: answers is a step of the acks demo, not %s", where, kind)
		}
		if !slices.Contains(AnswerModes, s.Answers) {
			return fmt.Errorf("%s: unknown answer mode %q (known: %s)", where, s.Answers, strings.Join(AnswerModes, ", "))
		}
		if s.Timeout != 0 || s.Text != "" {
			return fmt.Errorf("%s: timeout and text are for ask and deliver steps", where)
		}
	case s.Ask != "":
		if kind != "acks" {
			return fmt.Errorf("%s: ask is a step of the acks demo, not %s", where, kind)
		}
		if !clients[s.Ask] {
			return fmt.Errorf("%s: ask: %w", where, notClient(s.Ask))
		}
		if s.Timeout != 0 && (s.Timeout < minAskTimeout || s.Timeout > int(maxAskTimeout.Milliseconds())) {
			return fmt.Errorf("%s: timeout: %d ms, want %d to %d", where, s.Timeout, minAskTimeout, maxAskTimeout.Milliseconds())
		}
	default:
		if kind != "queue" {
			return fmt.Errorf("%s: deliver is a step of the queue demo, not %s", where, kind)
		}
		if !clients[s.Deliver] {
			return fmt.Errorf("%s: deliver: %w", where, notClient(s.Deliver))
		}
		if s.Timeout != 0 {
			return fmt.Errorf("%s: timeout is for ask steps", where)
		}
		if strings.TrimSpace(s.Text) == "" {
			return fmt.Errorf("%s: text: a deliver step needs the job's text", where)
		}
	}
	return nil
}

func (e *Outcome) validate(kind string, clients, asks map[string]bool, notClient func(string) error) error {
	if !clients[e.Client] {
		return notClient(e.Client)
	}
	if e.Ack == "" && e.Receives == "" && e.Times == nil && e.Queued == nil {
		return errors.New("state at least one fact: ack, receives with times, or queued")
	}
	if e.Ack != "" {
		if !slices.Contains(AckOutcomes, e.Ack) {
			return fmt.Errorf("unknown ack outcome %q (known: %s)", e.Ack, strings.Join(AckOutcomes, ", "))
		}
		if !asks[e.Client] {
			return fmt.Errorf("ack: %s never asks in steps, so there is no ack to observe", e.Client)
		}
	}
	if e.Error != "" && e.Ack != "error" {
		return errors.New("error: only with ack: error")
	}
	if e.Answers != nil && (e.Ack != "reply" || *e.Answers < 0) {
		return errors.New("answers: a count (0 or more), only with ack: reply")
	}
	if (e.Receives == "") != (e.Times == nil) {
		return errors.New("receives and times go together: receives: EVENT, times: N")
	}
	if e.Times != nil && *e.Times < 0 {
		return fmt.Errorf("times: %d, want 0 or more", *e.Times)
	}
	if e.Receives != "" {
		if err := checkName("event", e.Receives); err != nil {
			return fmt.Errorf("receives: %w", err)
		}
	}
	if e.Queued != nil {
		if kind != "queue" {
			return fmt.Errorf("queued is an outcome of the queue demo, not %s", kind)
		}
		if *e.Queued < 0 {
			return fmt.Errorf("queued: %d, want 0 or more", *e.Queued)
		}
	}
	return nil
}
