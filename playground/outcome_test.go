package playground

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOutcomeRules: a predict-the-outcome check is refused, at its path, unless its steps are
// ones the demo can play, its choices are 3 or more distinct observable outcomes, and every name
// it uses is one of the demo's clients.
func TestOutcomeRules(t *testing.T) {
	const acksOK = `{"clients":["Ada","Grace"],"outcome":{"question":"What does Ada get?",
		"steps":[{"client":"Grace","answers":"never"},{"client":"Ada","ask":"Grace","timeout":300,"text":"hi?"}],
		"choices":[{"text":"a reply","expect":{"client":"Ada","ack":"reply"}},
			{"text":"the timeout","expect":{"client":"Ada","ack":"error","error":"operation has timed out"}},
			{"text":"no answers","expect":{"client":"Ada","ack":"reply","answers":0}}]}}`
	const queueOK = `{"clients":["Dispatcher","Ravi"],"outcome":{"question":"What does Ravi get?",
		"steps":[{"client":"Ravi","disconnect":true},{"client":"Dispatcher","deliver":"Ravi","text":"job 1"},{"client":"Ravi","connect":true}],
		"choices":[{"text":"nothing","expect":{"client":"Ravi","receives":"delivery","times":0}},
			{"text":"once","expect":{"client":"Ravi","receives":"delivery","times":1,"queued":0}},
			{"text":"twice","expect":{"client":"Ravi","receives":"delivery","times":2}}]}}`
	tests := []struct {
		name, kind, config, err string
	}{
		{"acks", "acks", acksOK, ""},
		{"queue", "queue", queueOK, ""},
		{"no question", "acks", strings.Replace(acksOK, `"What does Ada get?"`, `" "`, 1), "outcome: question: write the question"},
		{"no steps", "acks", `{"outcome":{"question":"?","steps":[],"choices":[]}}`, "outcome: steps: the scenario needs at least one step"},
		{"two choices", "acks", strings.Replace(acksOK, `,
			{"text":"no answers","expect":{"client":"Ada","ack":"reply","answers":0}}`, "", 1), "outcome: choices: 2 choices, want 3 to 8"},
		{"unknown answer mode", "acks", strings.Replace(acksOK, `"never"`, `"nevr"`, 1), `outcome: steps[0]: unknown answer mode "nevr" (known: fast, slow, never)`},
		{"ask a stranger", "acks", strings.Replace(acksOK, `"ask":"Grace"`, `"ask":"Grase"`, 1), `outcome: steps[1]: ask: client "Grase" is not one of the demo's clients (Ada, Grace)`},
		{"timeout too long", "acks", strings.Replace(acksOK, `300`, `60000`, 1), "outcome: steps[1]: timeout: 60000 ms, want 100 to 10000"},
		{"two actions", "acks", strings.Replace(acksOK, `"answers":"never"`, `"answers":"never","disconnect":true`, 1), "outcome: steps[0]: a step does exactly one of"},
		{"ask in the queue demo", "queue", strings.Replace(queueOK, `"deliver":"Ravi"`, `"ask":"Ravi"`, 1), "outcome: steps[1]: ask is a step of the acks demo, not queue"},
		{"deliver without text", "queue", strings.Replace(queueOK, `,"text":"job 1"`, "", 1), "outcome: steps[1]: text: a deliver step needs the job's text"},
		{"a script step", "queue", strings.Replace(queueOK, `"connect":true`, `"emit":"x","scope":"nowhere"`, 1), `outcome: steps[2]: unknown scope "nowhere"`},
		{"text on a plain step", "queue", strings.Replace(queueOK, `"disconnect":true`, `"disconnect":true,"text":"x"`, 1), "outcome: steps[0]: timeout and text are for ask and deliver steps"},
		{"unknown ack", "acks", strings.Replace(acksOK, `"ack":"reply"}`, `"ack":"replied"}`, 1), `outcome: choices[0]: expect: unknown ack outcome "replied" (known: reply, error, none)`},
		{"no fact", "acks", strings.Replace(acksOK, `{"client":"Ada","ack":"reply"}`, `{"client":"Ada"}`, 1), "outcome: choices[0]: expect: state at least one fact"},
		{"ack of one who never asks", "acks", strings.Replace(acksOK, `{"client":"Ada","ack":"reply"}`, `{"client":"Grace","ack":"reply"}`, 1), "outcome: choices[0]: expect: ack: Grace never asks in steps"},
		{"error without ack error", "acks", strings.Replace(acksOK, `"ack":"reply"}`, `"ack":"reply","error":"x"}`, 1), "outcome: choices[0]: expect: error: only with ack: error"},
		{"times without receives", "queue", strings.Replace(queueOK, `"receives":"delivery","times":0`, `"times":0`, 1), "outcome: choices[0]: expect: receives and times go together"},
		{"queued in acks", "acks", strings.Replace(acksOK, `"ack":"reply"}`, `"ack":"reply","queued":0}`, 1), "outcome: choices[0]: expect: queued is an outcome of the queue demo, not acks"},
		{"same outcome twice", "queue", strings.Replace(queueOK, `"times":2`, `"times":0`, 1), "outcome: choices[2]: expect: the same outcome as choices[0]"},
		{"unknown expect client", "queue", strings.Replace(queueOK, `{"client":"Ravi","receives":"delivery","times":0}`, `{"client":"Rav","receives":"delivery","times":0}`, 1), `outcome: choices[0]: expect: client "Rav" is not one of the demo's clients (Dispatcher, Ravi)`},
		{"with predict", "acks", strings.Replace(acksOK, `{"clients":["Ada","Grace"],`, `{"clients":["Ada","Grace"],"predict":{"client":"Ada","emit":"x","scope":"all"},`, 1), "outcome: a demo has predict or outcome, not both"},
		{"every problem at once", "acks", strings.Replace(strings.Replace(acksOK, `"never"`, `"nevr"`, 1), `"ask":"Grace"`, `"ask":"Grase"`, 1), `demo acks: outcome: steps[1]: ask: client "Grase"`},
		{"unknown key", "acks", strings.Replace(acksOK, `"text":"hi?"`, `"txt":"hi?"`, 1), `unknown field "txt"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateDemo(tt.kind, json.RawMessage(tt.config))
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("ValidateDemo = %v, want %q", err, tt.err)
			}
		})
	}
}

// TestOutcomeEcho: the create response hands the page the scenario and the choices as written
// (the page grades from them); a zero count survives the round trip.
func TestOutcomeEcho(t *testing.T) {
	cfg, err := ParseDemo("queue", json.RawMessage(`{"clients":["D","R"],"outcome":{"question":"?",
		"steps":[{"client":"D","deliver":"R","text":"j"}],
		"choices":[{"text":"a","expect":{"client":"R","queued":0}},{"text":"b","expect":{"client":"R","queued":1}},
			{"text":"c","expect":{"client":"R","receives":"delivery","times":0}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"deliver":"R","text":"j"`, `"expect":{"client":"R","queued":0}`, `"receives":"delivery","times":0`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("config JSON %s lacks %s", b, want)
		}
	}
}
