/** rooms: join and leave rooms, emit to them (playground/kind_rooms.go). */
export default { name: "rooms", roomControls: true };
