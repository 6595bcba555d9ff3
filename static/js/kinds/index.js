/**
 * kinds/index.js: the demo kinds' panels, one module per kind, by name. playground/kind.go
 * registers the same names on the server (a test fails when the two lists differ).
 *
 * A kind module's default export is an object; every field but name is optional:
 *   name                      the kind, as in ```demo NAME
 *   composer: {event, scope}  the composer's defaults; scopeButtons: one button per basic scope
 *   roomControls, multiplex   per-client join/leave, and "open another namespace on the same connection"
 *   init(w)                   the kind's own state on the widget (w.kindState)
 *   clientDefaults(w, c)      adjusts a new client (its namespace, its auth) before it connects
 *   clientOptions             io() options that replace the widget's (reconnection's backoff)
 *   auth(w, c)                the client's io() auth option (an object, or a function called on each attempt)
 *   wire(w, c, socket, nsp)   listens on a client's socket (questions, deliveries)
 *   panels(w, id)             elements above the composer (the kind's own send forms)
 *   say(w, c, text)           a client's "say" box; without it, the composer's event and scope
 *   controls(w, c, btn)       elements added to a client's column
 *   drawClient(w, c)          updates the column's kind-specific controls
 *   side(w)                   an element for the side column
 *   onState(w, state)         the server's state message (docs/play-api.md)
 *   receivedText(event, args) how a client's received list shows an event (default: its name and JSON)
 *   onUnhandled(w, tap, why)  an event nobody on its namespace listens for (the tap's event_in, unhandled)
 *   onMessage(w, msg)         a tap message of another type (the cluster demo's "broker")
 *   outcomeStep(w, c, s)      plays the kind's own step of an `outcome:` scenario (ask, deliver):
 *                             a promise of what it observed, or null for a common step (demo-outcome.js)
 *   outcomeDescribe(s)        that step in words for the panel's "The steps it plays", or null
 *   outcomeSettled(w, steps)  true once the kind's own work after the scenario is done (a queue flushed)
 */
import acks from "./acks.js";
import broker from "./broker.js";
import authentication from "./authentication.js";
import chat from "./chat.js";
import cluster from "./cluster.js";
import consoleKind from "./console.js";
import emitScopes from "./emit-scopes.js";
import namespaces from "./namespaces.js";
import queue from "./queue.js";
import reconnection from "./reconnection.js";
import rooms from "./rooms.js";
import tenants from "./tenants.js";

export const kinds = Object.fromEntries([chat, emitScopes, rooms, namespaces, tenants, acks, queue, broker, cluster, reconnection, authentication, consoleKind].map((k) => [k.name, k]));
