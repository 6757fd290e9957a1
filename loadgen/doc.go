// Package loadgen generates CloudFront-shaped load on Vegeta's attacker and
// pacers: independent per-edge connection pools, CloudFront's request headers
// and SNI, per-phase mTLS timing, and a results codec that stays readable by
// `vegeta report`.
//
// The model, as it is implemented:
//
//   - Pops: each pop has its own http.Transport (HTTP/1.1 only, no proxy,
//     at most MaxConns connections, idle keep-alive KeepAlive) and its own TLS
//     session cache (none with Resumption(false)). Request n — Vegeta's
//     sequence number — goes to pop n mod pops (PopRule). OriginShield is one
//     pop.
//   - Requests carry User-Agent: Amazon CloudFront, a fresh X-Amz-Cf-Id and
//     Via: 1.1 <pop id>.cloudfront.net (CloudFront); Vegeta's X-Vegeta-Seq and
//     X-Vegeta-Attack are removed. SNI is the server name, never an IP.
//   - Connections are made by the pool's own dialer: each attempt (TCP
//     connect and TLS handshake) is bounded by ConnectTimeout; TCP connect
//     failures and timeouts are retried up to ConnectAttempts for GET and
//     HEAD, a handshake the origin refuses is not. The dialer times TCP
//     connect and the handshake (full or resumed, version, cipher, curve) and
//     counts connections and handshakes: the transport redials idle
//     connections the origin closed without telling anyone, so counts taken
//     from request outcomes would be short.
//   - A request is on a new connection when it is the first request the
//     connection serves (the transport may dial for one request and hand the
//     connection to another); every later request on it is on a reused one.
//   - Arrivals follow a Schedule (constant, ramp, steps, idle gaps). The
//     intended send time of request n follows from the schedule alone, and
//     every latency is recorded from it (total_corrected) as well as from the
//     actual send (total). A run ends at the schedule's length; when the
//     generator falls behind (send lag p99 above LagLimit, or fewer requests
//     sent than scheduled) the summary says generator_limited.
//   - Histograms (package latency) are owned by the one goroutine that takes
//     Vegeta's results; interval histograms stream to latency.hlog.
//   - Phases: the same goroutine keeps the statistics of each phase of the
//     schedule apart (a scenario's phases, or the segments of a
//     multi-segment arrival), a request counted where its intended send
//     time falls; Merge recomputes them from the shards' results.
package loadgen
