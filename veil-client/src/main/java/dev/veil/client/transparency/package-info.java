/**
 * The client side of the gateway's transparency log (docs/transparency.md): reading its endpoints within a size cap
 * and a time limit ({@link dev.veil.client.transparency.LogClient}, {@link dev.veil.client.transparency.BoundedHttp}),
 * tree heads with their log key ({@link dev.veil.client.transparency.LogHead}) kept on disk
 * ({@link dev.veil.client.transparency.HeadFile}), and the independent audit behind {@code veil log verify|watch}
 * ({@link dev.veil.client.transparency.LogMonitor}). The SDK's per-request checks (inclusion of the attested node,
 * consistency with the kept head) use these pieces and report {@link dev.veil.client.TransparencyException}s.
 */
package dev.veil.client.transparency;
