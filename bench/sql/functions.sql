-- Breadth-first traversals in PL/pgSQL, one level per statement, every statement an index-only
-- scan of connections_from / connections_to for the whole frontier at once. The visited set is
-- an array probed through `NOT IN (SELECT unnest(...))`, which PostgreSQL runs as a hashed
-- subplan (one hash probe per candidate), so each record is expanded once.

-- Records first reached at each depth 1..max_depth along active connections whose related
-- record has one of `roles`: {n1, n2, ...}, trailing empty levels dropped.
CREATE OR REPLACE FUNCTION graph_reach(start_id text, roles text[], max_depth int)
RETURNS int[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    visited  text[] := ARRAY[start_id];
    frontier text[] := ARRAY[start_id];
    counts   int[]  := '{}';
BEGIN
    FOR depth IN 1..max_depth LOOP
        SELECT coalesce(array_agg(DISTINCT c.record2_id), '{}') INTO frontier
        FROM connections c
        WHERE c.record1_id = ANY (frontier)
          AND c.record2_role_id = ANY (roles)
          AND c.state = 'active'
          AND c.record2_id NOT IN (SELECT unnest(visited));
        EXIT WHEN cardinality(frontier) = 0;
        counts := counts || cardinality(frontier);
        visited := visited || frontier;
    END LOOP;
    RETURN counts;
END
$$;

-- graph_reach over connections in any state (GET /reach?state=any): records first reached at
-- each depth 1..max_depth along connections whose related
-- record has one of `roles`: {n1, n2, ...}, trailing empty levels dropped.
CREATE OR REPLACE FUNCTION graph_reach_any(start_id text, roles text[], max_depth int)
RETURNS int[] LANGUAGE plpgsql STABLE AS $$
DECLARE
    visited  text[] := ARRAY[start_id];
    frontier text[] := ARRAY[start_id];
    counts   int[]  := '{}';
BEGIN
    FOR depth IN 1..max_depth LOOP
        SELECT coalesce(array_agg(DISTINCT c.record2_id), '{}') INTO frontier
        FROM connections c
        WHERE c.record1_id = ANY (frontier)
          AND c.record2_role_id = ANY (roles)
          AND c.record2_id NOT IN (SELECT unnest(visited));
        EXIT WHEN cardinality(frontier) = 0;
        counts := counts || cardinality(frontier);
        visited := visited || frontier;
    END LOOP;
    RETURN counts;
END
$$;

-- One shortest path from from_id to to_id along active connections whose related record has one
-- of `roles`, at most max_depth hops: bidirectional BFS that always grows the smaller frontier
-- (forward over connections_from, backward over connections_to), then walks back from the
-- meeting record level by level. No row when there is no such path.
CREATE OR REPLACE FUNCTION graph_shortest_path(from_id text, to_id text, roles text[], max_depth int)
RETURNS TABLE (records text[], connections text[]) LANGUAGE plpgsql STABLE AS $$
DECLARE
    -- Visited records of each side in level order; *_start[i] = index where level i-1 starts.
    fwd text[] := ARRAY[from_id];  fwd_start int[] := ARRAY[1];  fwd_front text[] := ARRAY[from_id];
    bwd text[] := ARRAY[to_id];    bwd_start int[] := ARRAY[1];  bwd_front text[] := ARRAY[to_id];
    nxt text[];
    meet text;
    cur text;
    conn text;
    hop text;
    path_records text[];
    path_conns text[] := '{}';
BEGIN
    IF NOT EXISTS (SELECT 1 FROM records r WHERE r.id = from_id)
       OR NOT EXISTS (SELECT 1 FROM records r WHERE r.id = to_id) THEN
        RETURN;
    END IF;
    IF from_id = to_id THEN
        records := ARRAY[from_id]; connections := '{}';
        RETURN NEXT;
        RETURN;
    END IF;
    WHILE meet IS NULL LOOP
        IF cardinality(fwd_start) + cardinality(bwd_start) - 2 >= max_depth THEN
            RETURN;
        END IF;
        IF cardinality(fwd_front) <= cardinality(bwd_front) THEN
            SELECT coalesce(array_agg(DISTINCT c.record2_id), '{}') INTO nxt
            FROM connections c
            WHERE c.record1_id = ANY (fwd_front) AND c.record2_role_id = ANY (roles)
              AND c.state = 'active' AND c.record2_id NOT IN (SELECT unnest(fwd));
            EXIT WHEN cardinality(nxt) = 0;
            fwd_start := fwd_start || (cardinality(fwd) + 1);
            fwd := fwd || nxt;
            fwd_front := nxt;
        ELSE
            SELECT coalesce(array_agg(DISTINCT c.record1_id), '{}') INTO nxt
            FROM connections c
            WHERE c.record2_id = ANY (bwd_front) AND c.record2_role_id = ANY (roles)
              AND c.state = 'active' AND c.record1_id NOT IN (SELECT unnest(bwd));
            EXIT WHEN cardinality(nxt) = 0;
            bwd_start := bwd_start || (cardinality(bwd) + 1);
            bwd := bwd || nxt;
            bwd_front := nxt;
        END IF;
        SELECT min(f) INTO meet FROM unnest(fwd_front) f WHERE f IN (SELECT unnest(bwd_front));
    END LOOP;
    IF meet IS NULL THEN
        RETURN;
    END IF;
    -- Walk back to from_id: on each earlier forward level, a record with an edge into `cur`.
    path_records := ARRAY[meet];
    cur := meet;
    FOR level IN REVERSE cardinality(fwd_start) - 1 .. 1 LOOP
        SELECT c.record1_id, c.connectionid INTO hop, conn
        FROM connections c
        WHERE c.record2_id = cur AND c.record2_role_id = ANY (roles) AND c.state = 'active'
          AND c.record1_id = ANY (fwd[fwd_start[level]:fwd_start[level + 1] - 1])
        ORDER BY c.record1_id LIMIT 1;
        path_records := hop || path_records;
        path_conns := conn || path_conns;
        cur := hop;
    END LOOP;
    -- Walk on to to_id: on each earlier backward level, a record that `cur` has an edge to.
    cur := meet;
    FOR level IN REVERSE cardinality(bwd_start) - 1 .. 1 LOOP
        SELECT c.record2_id, c.connectionid INTO hop, conn
        FROM connections c
        WHERE c.record1_id = cur AND c.record2_role_id = ANY (roles) AND c.state = 'active'
          AND c.record2_id = ANY (bwd[bwd_start[level]:bwd_start[level + 1] - 1])
        ORDER BY c.record2_id LIMIT 1;
        path_records := path_records || hop;
        path_conns := path_conns || conn;
        cur := hop;
    END LOOP;
    records := path_records; connections := path_conns;
    RETURN NEXT;
END
$$;
