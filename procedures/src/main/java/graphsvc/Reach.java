package graphsvc;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
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
import org.neo4j.token.api.TokenConstants;
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
import org.neo4j.values.storable.DateValue;
import org.neo4j.values.storable.Value;
import org.neo4j.values.storable.Values;

/**
 * Reach as a breadth-first search inside the engine: the answer of cypher/service/traversal_reach.cypher's
 * reduce over depths (outgoing edges only, each record counted once at the depth it is first reached),
 * with the edge filters APOC's expanders lack (state, as_of).
 *
 * <p>On the kernel's cursors, not the Core API: no Node or Relationship object per edge, property
 * keys and types resolved once, and a property read that stops at the first property record holding
 * `state` (every write path puts it there). What remains is the record store's cost per edge read.
 */
public class Reach {

    // A procedure is not stopped by the transaction's timeout unless it asks: the API's query
    // timeout (GRAPHSVC_QUERY_TIMEOUT) must end a big search as it ends the Cypher one.
    @Context
    public TerminationGuard guard;

    @Context
    public Transaction tx;

    public static class Counts {
        public List<Long> perDepth;

        Counts(List<Long> perDepth) {
            this.perDepth = perDepth;
        }
    }

    @Procedure(name = "graphsvc.reach", mode = Mode.READ)
    @Description("graphsvc.reach(start, types, maxDepth, state, asOf) :: (perDepth): how many records are first "
            + "reached at each depth 1..maxDepth along outgoing edges of the given types (null or empty: every type) "
            + "whose state is `state` (null: any) and that are effective on `asOf` (null: any day)")
    @SuppressWarnings("deprecation") // elementId is a string; the long id is the kernel's node reference
    public Stream<Counts> reach(
            @Name("start") Node start,
            @Name("types") List<String> types,
            @Name("maxDepth") long maxDepth,
            @Name("state") String state,
            @Name("asOf") LocalDate asOf) {
        KernelTransaction ktx = ((InternalTransaction) tx).kernelTransaction();
        TokenRead tokens = ktx.tokenRead();
        RelationshipSelection selection = selection(tokens, types);
        EdgeFilter filter = new EdgeFilter(tokens, state, asOf);
        List<Long> perDepth = new ArrayList<>();
        // Internal node ids are dense in Community's record store: a bit per id is the cheapest seen-set.
        BitSet seen = new BitSet();
        seen.set(Math.toIntExact(start.getId()));
        long[] frontier = {start.getId()};
        int frontierSize = 1;
        CursorFactory cursors = ktx.cursors();
        Read read = ktx.dataRead();
        try (NodeCursor node = cursors.allocateNodeCursor(ktx.cursorContext());
                RelationshipTraversalCursor rel = cursors.allocateRelationshipTraversalCursor(ktx.cursorContext());
                PropertyCursor props = cursors.allocatePropertyCursor(ktx.cursorContext(), ktx.memoryTracker())) {
            for (long depth = 1; depth <= maxDepth; depth++) {
                long[] next = new long[Math.max(16, frontierSize)];
                int nextSize = 0;
                for (int i = 0; i < frontierSize && selection != null; i++) {
                    guard.check();
                    read.singleNode(frontier[i], node);
                    if (!node.next()) {
                        continue;
                    }
                    node.relationships(rel, selection);
                    while (rel.next()) {
                        long other = rel.otherNodeReference();
                        int otherId = Math.toIntExact(other);
                        // The id first: an edge to a record already seen costs no property read.
                        if (seen.get(otherId) || !filter.accepts(rel, props)) {
                            continue;
                        }
                        seen.set(otherId);
                        if (nextSize == next.length) {
                            next = Arrays.copyOf(next, nextSize * 2);
                        }
                        next[nextSize++] = other;
                    }
                }
                perDepth.add((long) nextSize);
                frontier = next;
                frontierSize = nextSize;
            }
        }
        return Stream.of(new Counts(perDepth));
    }

    /** Outgoing edges of the given types (null or empty: every type); null when none of them exists. */
    private static RelationshipSelection selection(TokenRead tokens, List<String> types) {
        return selection(types == null || types.isEmpty() ? null : typeIds(tokens, types), Direction.OUTGOING);
    }

    /** The tokens of the given types, those that exist; null for every type (types null). */
    static int[] typeIds(TokenRead tokens, List<String> types) {
        if (types == null) {
            return null;
        }
        return types.stream().mapToInt(tokens::relationshipType).filter(t -> t != TokenConstants.NO_TOKEN).toArray();
    }

    /** Edges of the given type tokens (null: every type) in one direction; null when there is no such type. */
    static RelationshipSelection selection(int[] typeIds, Direction direction) {
        if (typeIds == null) {
            return RelationshipSelection.selection(direction);
        }
        return typeIds.length == 0 ? null : RelationshipSelection.selection(typeIds, direction);
    }

    /** traversal_reach.cypher's edge filter (a null bound is open), on the kernel's cursors. */
    static final class EdgeFilter {
        private final int stateKey;
        private final int startKey;
        private final int endKey;
        private final Value state;
        private final LocalDate asOf;
        private final PropertySelection keys;

        EdgeFilter(TokenRead tokens, String state, LocalDate asOf) {
            this.stateKey = tokens.propertyKey("state");
            this.startKey = tokens.propertyKey("effective_start");
            this.endKey = tokens.propertyKey("effective_end");
            this.state = state == null ? null : Values.stringValue(state);
            this.asOf = asOf;
            // A key no edge has ever had has no token: it cannot be read, so it is not asked for.
            int[] read = (asOf == null ? IntStream.of(stateKey) : IntStream.of(stateKey, startKey, endKey))
                    .filter(k -> k != TokenConstants.NO_TOKEN)
                    .toArray();
            this.keys = read.length == 0 ? null : PropertySelection.selection(read);
        }

        boolean accepts(RelationshipTraversalCursor rel, PropertyCursor props) {
            if (keys == null || (state == null && asOf == null)) {
                return state == null; // no edge has a state: none has the one asked for
            }
            rel.properties(props, keys);
            boolean stateSeen = false;
            while (props.next()) {
                int key = props.propertyKey();
                if (key == stateKey) {
                    if (state != null && !state.equals(props.propertyValue())) {
                        return false;
                    }
                    stateSeen = true;
                    if (asOf == null) {
                        return true; // the state is all this filter reads: stop at its record
                    }
                } else if (key == startKey) {
                    if (!(props.propertyValue() instanceof DateValue s && !s.asObjectCopy().isAfter(asOf))) {
                        return false;
                    }
                } else if (key == endKey) {
                    if (!(props.propertyValue() instanceof DateValue e && !e.asObjectCopy().isBefore(asOf))) {
                        return false;
                    }
                }
            }
            return state == null || stateSeen;
        }
    }
}
