package graphsvc;

import java.time.LocalDate;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.Temporal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
import org.neo4j.values.storable.Values;

/**
 * Network as a breadth-first search inside the engine: the answer of
 * cypher/service/traversal_network.cypher's reduce over depths (records nearest first, capped at
 * `limit` with the start included, and every matching edge between two of them) with hash sets
 * where the Cypher version tests membership in lists (`NOT x IN seen`, `b IN kept`: a scan of up
 * to 300 records per edge). The search stops at the first record past the cap: it only has to
 * tell that the cap cut the answer, not how many records it cut.
 *
 * <p>It answers in the shape the service returns, so that neither Cypher nor Python walks the
 * answer again: projecting 300 nodes and 650 relationships in Cypher (`n {.*}`, `startNode(r).id`)
 * took about half of the server's time, and de-duplicating and re-shaping them in Python about
 * half of the client's.
 */
public class Network {

    @Context
    public TerminationGuard guard;

    /** The properties of a record that are not attributes (graphsvc/graph/rows.py RECORD_KEYS). */
    private static final Set<String> RECORD_KEYS =
            Set.of("id", "type", "name", "created_at", "updated_at");

    public static class Answer {
        public List<Map<String, Object>> records;
        public List<List<Object>> edges;
        public boolean truncated;

        Answer(List<Map<String, Object>> records, List<List<Object>> edges, boolean truncated) {
            this.records = records;
            this.edges = edges;
            this.truncated = truncated;
        }
    }

    @Procedure(name = "graphsvc.network", mode = Mode.READ)
    @Description("graphsvc.network(start, types, maxDepth, state, asOf, limit) :: (records, edges, truncated): "
            + "the records within maxDepth hops of start along outgoing edges of the given types (null: every type) "
            + "whose state is `state` (null: any) and that are effective on `asOf` (null: any day), nearest first and "
            + "at most `limit` with start, as maps {id, type, name, attributes, created_at, updated_at} (timestamps "
            + "as toString() gives them); each connection among them once, as [connection_id, from id, to id, "
            + "relationship type, from role id, to role id] of its record1 -> record2 edge if that one matches, "
            + "in connection id order; whether more records were within reach")
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
        Map<Long, String> ids = new HashMap<>();
        List<Map<String, Object>> records = new ArrayList<>(kept.size());
        for (Node node : kept) {
            Map<String, Object> record = record(node);
            ids.put(id(node), (String) record.get("id"));
            records.add(record);
        }
        return Stream.of(new Answer(records, connections(edgesAmong(kept, relTypes, state, asOf), ids), truncated));
    }

    /** A record in the Record model's shape; its timestamps as Cypher's toString() writes them. */
    private static Map<String, Object> record(Node node) {
        Map<String, Object> props = node.getAllProperties();
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (Map.Entry<String, Object> prop : props.entrySet()) {
            if (!RECORD_KEYS.contains(prop.getKey())) {
                attributes.put(prop.getKey(), prop.getValue());
            }
        }
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("id", props.get("id"));
        record.put("type", props.get("type"));
        record.put("name", props.get("name"));
        record.put("attributes", attributes);
        record.put("created_at", text(props.get("created_at")));
        record.put("updated_at", text(props.get("updated_at")));
        return record;
    }

    /**
     * toString() of a temporal value: Neo4j's prettyPrint, which for a datetime is ISO_DATE_TIME
     * (equal on 2M random instants, offsets and named zones; called directly it takes 0.4 of the
     * time of going through a Value, and a network has 600 timestamps).
     */
    private static Object text(Object value) {
        if (value instanceof ZonedDateTime dateTime) {
            return DateTimeFormatter.ISO_DATE_TIME.format(dateTime);
        }
        return value instanceof Temporal ? Values.of(value).prettyPrint() : value;
    }

    /**
     * Each connection once (a connection has an edge each way, and both match when both ends are
     * kept): its record1 -> record2 edge (side 1) when that one is among the edges.
     */
    private static List<List<Object>> connections(List<Relationship> edges, Map<Long, String> ids) {
        Map<String, Relationship> byConnection = new TreeMap<>();
        for (Relationship rel : edges) {
            String connectionId = (String) rel.getProperty("connection_id");
            if (!byConnection.containsKey(connectionId) || side(rel) == 1) {
                byConnection.put(connectionId, rel);
            }
        }
        List<List<Object>> out = new ArrayList<>(byConnection.size());
        for (Map.Entry<String, Relationship> entry : byConnection.entrySet()) {
            Relationship rel = entry.getValue();
            Object role1 = rel.getProperty("record1_role_id", null);
            Object role2 = rel.getProperty("record2_role_id", null);
            boolean forward = side(rel) == 1;
            out.add(Arrays.asList(
                    entry.getKey(),
                    ids.get(id(rel.getStartNode())),
                    ids.get(id(rel.getEndNode())),
                    rel.getType().name(),
                    forward ? role1 : role2,
                    forward ? role2 : role1));
        }
        return out;
    }

    private static long side(Relationship rel) {
        return rel.getProperty("side", null) instanceof Long side ? side : 0;
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
