/**
 * The Veil node: the enclave side of e2ee v1 (docs/e2ee.md). {@link dev.veil.node.VeilNode} starts it from
 * {@link dev.veil.node.NodeSettings}; it attests its keys through an {@link dev.veil.node.EvidenceSource}, decrypts
 * requests ({@code NodeServer}), forwards them to a loopback OpenAI-compatible engine and seals the answers back with a
 * signed receipt ({@code EngineRelay}). Nothing it handles is written to disk or to logs.
 */
package dev.veil.node;
