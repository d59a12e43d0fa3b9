// Engine owns converging what runs toward what a compose project asks for:
// it compares desired services with actual containers and plans actions
// (Plan/, pure and unit-tested), then applies them wave by wave. The planner
// never performs I/O; it takes plain values and returns a Plan that `up
// --dry-run` can print and the executor can apply.
