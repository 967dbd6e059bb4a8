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
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Transaction;
import org.neo4j.internal.kernel.api.CursorFactory;
import org.neo4j.internal.kernel.api.NodeCursor;
import org.neo4j.internal.kernel.api.PropertyCursor;
import org.neo4j.internal.kernel.api.Read;
import org.neo4j.internal.kernel.api.RelationshipTraversalCursor;
import org.neo4j.internal.kernel.api.TokenRead;
import org.neo4j.kernel.api.KernelTransaction;
import org.neo4j.kernel.impl.coreapi.InternalTransaction;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;
import org.neo4j.procedure.TerminationGuard;
import org.neo4j.storageengine.api.PropertySelection;
import org.neo4j.storageengine.api.RelationshipSelection;
import org.neo4j.token.api.TokenConstants;
import org.neo4j.values.storable.Value;
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
 *
 * <p>On the kernel's cursors, as {@link Reach}: no Node or Relationship object per edge, tokens
 * resolved once, and a record's edges read in one pass over its chain. On the Core API the search
 * for the edges among the kept records took most of the procedure's time (1.6-9.4 ms of 4-13 ms
 * on the 1M bench data, d2 from hub employees and referral roots).
 */
public class Network {

    @Context
    public TerminationGuard guard;

    @Context
    public Transaction tx;

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

    /** A matching edge between two kept records, with what the answer says of its connection. */
    private record Edge(String connectionId, boolean forward, long source, long target, int type,
            Object role1, Object role2) {}

    @Procedure(name = "graphsvc.network", mode = Mode.READ)
    @Description("graphsvc.network(start, types, maxDepth, state, asOf, limit) :: (records, edges, truncated): "
            + "the records within maxDepth hops of start along outgoing edges of the given types (null: every type) "
            + "whose state is `state` (null: any) and that are effective on `asOf` (null: any day), nearest first and "
            + "at most `limit` with start, as maps {id, type, name, attributes, created_at, updated_at} (timestamps "
            + "as toString() gives them); each connection among them once, as [connection_id, from id, to id, "
            + "relationship type, from role id, to role id] of its record1 -> record2 edge if that one matches, "
            + "in connection id order; whether more records were within reach")
    @SuppressWarnings("deprecation") // elementId is a string; the long id is the kernel's node reference
    public Stream<Answer> network(
            @Name("start") Node start,
            @Name("types") List<String> types,
            @Name("maxDepth") long maxDepth,
            @Name("state") String state,
            @Name("asOf") LocalDate asOf,
            @Name("limit") long limit) {
        KernelTransaction ktx = ((InternalTransaction) tx).kernelTransaction();
        Search search = new Search(ktx, Reach.typeIds(ktx.tokenRead(), types), state, asOf);
        try (search) {
            long[] found = search.breadthFirst(start.getId(), maxDepth, limit);
            boolean truncated = found.length > limit;
            long[] kept = truncated ? Arrays.copyOf(found, (int) limit) : found;
            Map<Long, String> ids = new HashMap<>();
            List<Map<String, Object>> records = new ArrayList<>(kept.length);
            for (long node : kept) {
                Map<String, Object> record = search.record(node);
                if (record != null) {
                    ids.put(node, (String) record.get("id"));
                    records.add(record);
                }
            }
            return Stream.of(new Answer(records, connections(search.edgesAmong(kept), ids, search.tokens), truncated));
        }
    }

    /**
     * Each connection once (a connection has an edge each way, and both match when both ends are
     * kept): its record1 -> record2 edge (side 1) when that one is among the edges. An edge whose
     * connection id could not be read, or that ends at a record that could not be, was deleted
     * while the search ran (reads see each write as it commits), and is left out.
     */
    private static List<List<Object>> connections(List<Edge> edges, Map<Long, String> ids, TokenRead tokens) {
        Map<String, Edge> byConnection = new TreeMap<>();
        for (Edge edge : edges) {
            if (edge.connectionId() == null || !ids.containsKey(edge.source()) || !ids.containsKey(edge.target())) {
                continue;
            }
            if (edge.forward() || !byConnection.containsKey(edge.connectionId())) {
                byConnection.put(edge.connectionId(), edge);
            }
        }
        List<List<Object>> out = new ArrayList<>(byConnection.size());
        for (Edge edge : byConnection.values()) {
            out.add(Arrays.asList(
                    edge.connectionId(),
                    ids.get(edge.source()),
                    ids.get(edge.target()),
                    tokens.relationshipTypeGetName(edge.type()),
                    edge.forward() ? edge.role1() : edge.role2(),
                    edge.forward() ? edge.role2() : edge.role1()));
        }
        return out;
    }

    /** toString() of a temporal value, as Cypher writes it (see {@link #record}). */
    private static Object text(Object value) {
        if (value instanceof ZonedDateTime dateTime) {
            return DateTimeFormatter.ISO_DATE_TIME.format(dateTime);
        }
        return value instanceof Temporal ? Values.of(value).prettyPrint() : value;
    }

    /** The search's cursors and the tokens it reads, for one call. */
    private final class Search implements AutoCloseable {
        final TokenRead tokens;
        private final Read read;
        private final int[] typeIds;
        private final Reach.EdgeFilter filter;
        private final NodeCursor node;
        private final RelationshipTraversalCursor rel;
        private final PropertyCursor props;
        private final PropertySelection connectionKeys;
        private final int connectionIdKey;
        private final int sideKey;
        private final int role1Key;
        private final int role2Key;
        private final Map<Integer, String> keyNames = new HashMap<>();

        Search(KernelTransaction ktx, int[] typeIds, String state, LocalDate asOf) {
            this.tokens = ktx.tokenRead();
            this.read = ktx.dataRead();
            this.typeIds = typeIds;
            this.filter = new Reach.EdgeFilter(tokens, state, asOf);
            CursorFactory cursors = ktx.cursors();
            this.node = cursors.allocateNodeCursor(ktx.cursorContext());
            this.rel = cursors.allocateRelationshipTraversalCursor(ktx.cursorContext());
            this.props = cursors.allocatePropertyCursor(ktx.cursorContext(), ktx.memoryTracker());
            this.connectionIdKey = tokens.propertyKey("connection_id");
            this.sideKey = tokens.propertyKey("side");
            this.role1Key = tokens.propertyKey("record1_role_id");
            this.role2Key = tokens.propertyKey("record2_role_id");
            int[] keys = IntStream.of(connectionIdKey, sideKey, role1Key, role2Key)
                    .filter(k -> k != TokenConstants.NO_TOKEN)
                    .toArray();
            this.connectionKeys = keys.length == 0 ? null : PropertySelection.selection(keys);
        }

        /** The records found, nearest first; past `limit` by one when the cap cut the search. */
        long[] breadthFirst(long start, long maxDepth, long limit) {
            RelationshipSelection outgoing = Reach.selection(typeIds, Direction.OUTGOING);
            List<Long> seen = new ArrayList<>(List.of(start));
            Set<Long> seenIds = new HashSet<>(seen);
            List<Long> frontier = List.of(start);
            search:
            for (long depth = 1; depth <= maxDepth && !frontier.isEmpty() && outgoing != null; depth++) {
                List<Long> next = new ArrayList<>();
                for (long from : frontier) {
                    guard.check();
                    if (!at(from)) {
                        continue;
                    }
                    node.relationships(rel, outgoing);
                    while (rel.next()) {
                        long other = rel.otherNodeReference();
                        if (seenIds.contains(other) || !filter.accepts(rel, props)) {
                            continue;
                        }
                        seenIds.add(other);
                        seen.add(other);
                        next.add(other);
                        if (seen.size() > limit) {
                            break search;
                        }
                    }
                }
                frontier = next;
            }
            return seen.stream().mapToLong(Long::longValue).toArray();
        }

        /**
         * The matching edges among the kept records, each read from its cheaper end: a record
         * with more edges than there are kept records (a hub: an account's thousands of
         * employees) is never expanded; its edges come from the other end's incoming ones, read
         * in the same pass over that end's chain, and between two hubs from the one with fewer.
         */
        List<Edge> edgesAmong(long[] kept) {
            List<Edge> edges = new ArrayList<>();
            RelationshipSelection outgoing = Reach.selection(typeIds, Direction.OUTGOING);
            if (outgoing == null) {
                return edges;
            }
            Set<Long> keptIds = new HashSet<>();
            List<Long> hubs = new ArrayList<>();
            Set<Long> hubIds = new HashSet<>();
            RelationshipSelection anyOutgoing = RelationshipSelection.selection(Direction.OUTGOING);
            for (long id : kept) {
                keptIds.add(id);
                if (at(id) && node.degreeWithMax(kept.length + 1, anyOutgoing) > kept.length) {
                    hubs.add(id);
                    hubIds.add(id);
                }
            }
            RelationshipSelection both = hubs.isEmpty() ? outgoing : Reach.selection(typeIds, Direction.BOTH);
            for (long a : kept) {
                if (hubIds.contains(a) || !at(a)) {
                    continue;
                }
                guard.check();
                node.relationships(rel, both);
                while (rel.next()) {
                    boolean out = rel.sourceNodeReference() == a;
                    long other = rel.otherNodeReference();
                    if ((out ? keptIds.contains(other) : hubIds.contains(other)) && filter.accepts(rel, props)) {
                        edges.add(edge());
                    }
                }
            }
            hubEdges(hubs, outgoing, edges);
            return edges;
        }

        /**
         * The edges from one hub to another, each hub's from whichever costs fewer edge reads: its
         * own outgoing chain once, or for each other hub the shorter of its outgoing chain and that
         * hub's incoming one. From a referral root at depth 2, 3-8 accounts of 300-10k employees
         * are kept: pair by pair that read up to 30k edges, most of the procedure's time.
         */
        private void hubEdges(List<Long> hubs, RelationshipSelection outgoing, List<Edge> edges) {
            RelationshipSelection incoming = Reach.selection(typeIds, Direction.INCOMING);
            Map<Long, Integer> in = new HashMap<>();
            for (long b : hubs) {
                in.put(b, degree(b, Direction.INCOMING));
            }
            for (long a : hubs) {
                guard.check();
                int out = degree(a, Direction.OUTGOING);
                long pairwise = 0;
                for (long b : hubs) {
                    pairwise += b == a ? 0 : Math.min(out, in.get(b));
                }
                if (out <= pairwise) {
                    at(a);
                    node.relationships(rel, outgoing);
                    while (rel.next()) {
                        long b = rel.otherNodeReference();
                        if (b != a && in.containsKey(b) && filter.accepts(rel, props)) {
                            edges.add(edge());
                        }
                    }
                    continue;
                }
                for (long b : hubs) {
                    if (a == b) {
                        continue;
                    }
                    boolean fromA = out <= in.get(b);
                    at(fromA ? a : b);
                    node.relationships(rel, fromA ? outgoing : incoming);
                    while (rel.next()) {
                        if (rel.otherNodeReference() == (fromA ? b : a) && filter.accepts(rel, props)) {
                            edges.add(edge());
                        }
                    }
                }
            }
        }

        /** The edge under the relationship cursor, with its connection's id, side and roles. */
        private Edge edge() {
            String connectionId = null;
            boolean forward = false;
            Object role1 = null;
            Object role2 = null;
            if (connectionKeys != null) {
                rel.properties(props, connectionKeys);
                while (props.next()) {
                    int key = props.propertyKey();
                    Object value = props.propertyValue().asObjectCopy();
                    if (key == connectionIdKey) {
                        connectionId = (String) value;
                    } else if (key == sideKey) {
                        forward = value instanceof Long side && side == 1;
                    } else if (key == role1Key) {
                        role1 = value;
                    } else if (key == role2Key) {
                        role2 = value;
                    }
                }
            }
            return new Edge(connectionId, forward, rel.sourceNodeReference(), rel.targetNodeReference(), rel.type(),
                    role1, role2);
        }

        /**
         * A record in the Record model's shape; its timestamps as Cypher's toString() writes them:
         * for a datetime Neo4j's prettyPrint is ISO_DATE_TIME (equal on 2M random instants, offsets
         * and named zones; called directly it takes 0.4 of the time of going through a Value, and a
         * network has 600 timestamps). Null when the record is gone: deleted after the search
         * reached it (or, written by hand, it has no id and no route could name it).
         */
        Map<String, Object> record(long id) {
            Map<String, Object> record = new LinkedHashMap<>();
            Map<String, Object> attributes = new LinkedHashMap<>();
            record.put("id", null);
            record.put("type", null);
            record.put("name", null);
            record.put("attributes", attributes);
            record.put("created_at", null);
            record.put("updated_at", null);
            if (at(id)) {
                node.properties(props);
                while (props.next()) {
                    String key = keyNames.computeIfAbsent(props.propertyKey(), tokens::propertyKeyGetName);
                    Value value = props.propertyValue();
                    if (RECORD_KEYS.contains(key)) {
                        record.put(key, text(value.asObjectCopy()));
                    } else {
                        attributes.put(key, value.asObjectCopy());
                    }
                }
            }
            return record.get("id") instanceof String ? record : null;
        }

        private int degree(long id, Direction direction) {
            return at(id) ? node.degree(RelationshipSelection.selection(direction)) : 0;
        }

        /** Puts the node cursor on the record; false if it is gone. */
        private boolean at(long id) {
            read.singleNode(id, node);
            return node.next();
        }

        @Override
        public void close() {
            node.close();
            rel.close();
            props.close();
        }
    }
}
