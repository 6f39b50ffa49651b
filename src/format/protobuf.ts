/**
 * io.prometheus.client.MetricFamily in the varint-length-delimited stream format, both ways: what Go and
 * Java clients push, and what Prometheus scrapes when it wants native histograms. A small hand-written
 * codec (schema: client_model v0.6.2 metrics.proto) instead of a generated one, for three reasons:
 * proto2 presence must survive (an absent HELP is not an empty one, `*_float` fields override only when
 * present), 64-bit counts must not be rounded silently, and the push path should not allocate more than
 * the model it builds.
 *
 * Decoding follows Go's protobuf runtime where it matters: unknown fields (and known fields with an
 * unexpected wire type) are skipped, repeated scalars are accepted packed or unpacked, a singular
 * message field that occurs twice is merged, an unknown enum value leaves the type unset (COUNTER).
 * The stream ends cleanly only at a message boundary; anything else is an error and nothing is stored.
 *
 * This module holds the media type and gathers the codec: protobuf-wire.ts (wire format Reader and
 * Writer), protobuf-decode.ts (MetricFamily decoder), protobuf-encode.ts (MetricFamily encoder).
 */

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.google.protobuf';
export const PROTOBUF_PROTO = 'io.prometheus.client.MetricFamily';
export const PROTOBUF_DELIMITED_CONTENT_TYPE = `${PROTOBUF_MEDIA_TYPE}; proto=${PROTOBUF_PROTO}; encoding=delimited`;

export { ProtobufWriter } from './protobuf-wire.js';
export {
  parseProtobufBody,
  parseProtobufBodySliced,
  type ProtobufParseOptions,
} from './protobuf-decode.js';
export { encodeDelimited, writeFamilyDelimited } from './protobuf-encode.js';
