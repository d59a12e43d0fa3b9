/// Finds dependency cycles in a directed graph of service names.
enum DependencyCycles {
    /// The first cycle found, as a path that returns to its start
    /// (`[a, b, c, a]`), or nil. Deterministic: nodes and edges are visited
    /// in sorted order, and the cycle starts at its smallest name.
    static func find(_ edges: [String: [String]]) -> [String]? {
        var state: [String: Int] = [:]   // 1 visiting, 2 done
        var stack: [String] = []

        func visit(_ node: String) -> [String]? {
            state[node] = 1
            stack.append(node)
            for next in (edges[node] ?? []).sorted() where edges[next] != nil {
                if state[next] == 1, let start = stack.firstIndex(of: next) {
                    return rotated(Array(stack[start...]))
                }
                if state[next] == nil, let cycle = visit(next) { return cycle }
            }
            stack.removeLast()
            state[node] = 2
            return nil
        }

        for node in edges.keys.sorted() where state[node] == nil {
            if let cycle = visit(node) { return cycle }
        }
        return nil
    }

    private static func rotated(_ cycle: [String]) -> [String] {
        guard let smallest = cycle.indices.min(by: { cycle[$0] < cycle[$1] }) else { return cycle }
        let ordered = Array(cycle[smallest...] + cycle[..<smallest])
        return ordered + [ordered[0]]
    }

    static func describe(_ cycle: [String]) -> String { cycle.joined(separator: " → ") }
}
