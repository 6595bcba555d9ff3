/** console: the server's own log, live (playground/kind_console.go). Only the common controls. */
export default { name: "console" };
