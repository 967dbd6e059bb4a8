package graphsvc;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;
import org.neo4j.procedure.TerminationGuard;

/**
 * Network as a breadth-first search inside the engine: the answer of
 * cypher/service/traversal_network.cypher's reduce over depths (records nearest first, capped at
 * `limit` with the start included, and every matching edge between two of them) with hash sets
 * where the Cypher version tests membership in lists (`NOT x IN seen`, `b IN kept`: a scan of up
 * to 300 records per edge). The search stops at the first record past the cap: it only has to
 * tell that the cap cut the answer, not how many records it cut.
 */
public class Network {

    @Context
    public TerminationGuard guard;

    public static class Answer {
        public List<Node> nodes;
        public List<Relationship> relationships;
        public boolean truncated;

        Answer(List<Node> nodes, List<Relationship> relationships, boolean truncated) {
            this.nodes = nodes;
            this.relationships = relationships;
            this.truncated = truncated;
        }
    }

    @Procedure(name = "graphsvc.network", mode = Mode.READ)
    @Description("graphsvc.network(start, types, maxDepth, state, asOf, limit) :: (nodes, relationships, truncated): "
            + "the records within maxDepth hops of start along outgoing edges of the given types (null: every type) "
            + "whose state is `state` (null: any) and that are effective on `asOf` (null: any day), nearest first and "
            + "at most `limit` with start; the matching edges among them; whether more records were within reach")
    public Stream<Answer> network(
            @Name("start") Node start,
            @Name("types") List<String> types,
            @Name("maxDepth") long maxDepth,
            @Name("state") String state,
            @Name("asOf") LocalDate asOf,
            @Name("limit") long limit) {
        RelationshipType[] relTypes = types == null
                ? null
                : types.stream().map(RelationshipType::withName).toArray(RelationshipType[]::new);
        List<Node> seen = new ArrayList<>(List.of(start));
        Set<Long> seenIds = new HashSet<>();
        seenIds.add(id(start));
        List<Node> frontier = List.of(start);
        search:
        for (long depth = 1; depth <= maxDepth && !frontier.isEmpty(); depth++) {
            List<Node> next = new ArrayList<>();
            for (Node node : frontier) {
                guard.check();
                for (Relationship rel : outgoing(node, relTypes)) {
                    Node other = rel.getEndNode();
                    if (seenIds.contains(id(other)) || !Reach.matches(rel, state, asOf)) {
                        continue;
                    }
                    seenIds.add(id(other));
                    seen.add(other);
                    next.add(other);
                    if (seen.size() > limit) {
                        break search;
                    }
                }
            }
            frontier = next;
        }
        boolean truncated = seen.size() > limit;
        List<Node> kept = truncated ? seen.subList(0, (int) limit) : seen;
        return Stream.of(new Answer(kept, edgesAmong(kept, relTypes, state, asOf), truncated));
    }

    /**
     * Each edge read from its cheaper end: a record with more edges than there are kept records (a
     * hub: an account's thousands of employees) is never expanded; its edges come from the other
     * end's incoming edges, and between two hubs from the one with fewer.
     */
    private List<Relationship> edgesAmong(
            List<Node> kept, RelationshipType[] relTypes, String state, LocalDate asOf) {
        Set<Long> keptIds = new HashSet<>();
        List<Node> hubs = new ArrayList<>();
        Set<Long> hubIds = new HashSet<>();
        for (Node node : kept) {
            keptIds.add(id(node));
            if (node.getDegree(Direction.OUTGOING) > kept.size()) {
                hubs.add(node);
                hubIds.add(id(node));
            }
        }
        List<Relationship> edges = new ArrayList<>();
        for (Node a : kept) {
            if (hubIds.contains(id(a))) {
                continue;
            }
            guard.check();
            for (Relationship rel : outgoing(a, relTypes)) {
                if (keptIds.contains(id(rel.getEndNode())) && Reach.matches(rel, state, asOf)) {
                    edges.add(rel);
                }
            }
            if (hubs.isEmpty()) {
                continue;
            }
            for (Relationship rel : incoming(a, relTypes)) {
                if (hubIds.contains(id(rel.getStartNode())) && Reach.matches(rel, state, asOf)) {
                    edges.add(rel);
                }
            }
        }
        for (Node a : hubs) {
            for (Node b : hubs) {
                if (a.equals(b)) {
                    continue;
                }
                guard.check();
                boolean fromA = a.getDegree(Direction.OUTGOING) <= b.getDegree(Direction.INCOMING);
                for (Relationship rel : fromA ? outgoing(a, relTypes) : incoming(b, relTypes)) {
                    Node other = fromA ? rel.getEndNode() : rel.getStartNode();
                    if (other.equals(fromA ? b : a) && Reach.matches(rel, state, asOf)) {
                        edges.add(rel);
                    }
                }
            }
        }
        return edges;
    }

    private static Iterable<Relationship> outgoing(Node node, RelationshipType[] relTypes) {
        return relTypes == null
                ? node.getRelationships(Direction.OUTGOING)
                : node.getRelationships(Direction.OUTGOING, relTypes);
    }

    private static Iterable<Relationship> incoming(Node node, RelationshipType[] relTypes) {
        return relTypes == null
                ? node.getRelationships(Direction.INCOMING)
                : node.getRelationships(Direction.INCOMING, relTypes);
    }

    @SuppressWarnings("deprecation") // elementId is a string; the long id is the cheap set key
    private static long id(Node node) {
        return node.getId();
    }
}
