/// Finds dependency cycles in a directed graph of service names.
enum DependencyCycles {
    /// The first cycle found, as a path that returns to its start
    /// (`[a, b, c, a]`), or nil. Deterministic: nodes and edges are visited
    /// in sorted order, and the cycle starts at its smallest name.
    static func find(_ edges: [String: [String]]) -> [String]? {
        // Iterative depth-first search (a long chain of services must not
        // exhaust the stack): `stack` holds the path, `next` each frame's
        // position in its sorted edge list.
        var state: [String: Int] = [:]   // 1 on the current path, 2 done
        let sorted = edges.mapValues { $0.filter { edges[$0] != nil }.sorted() }
        for root in edges.keys.sorted() where state[root] == nil {
            var stack: [String] = [root]
            var next: [Int] = [0]
            state[root] = 1
            while let node = stack.last {
                let targets = sorted[node] ?? []
                let i = next[next.count - 1]
                if i == targets.count {
                    state[node] = 2
                    stack.removeLast()
                    next.removeLast()
                    continue
                }
                next[next.count - 1] = i + 1
                let target = targets[i]
                switch state[target] {
                case 1:
                    if let start = stack.firstIndex(of: target) { return rotated(Array(stack[start...])) }
                case nil:
                    state[target] = 1
                    stack.append(target)
                    next.append(0)
                default:
                    break
                }
            }
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
