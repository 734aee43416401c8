package dev.veil.protocol.attestation.nvidia;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An NVIDIA GPU attestation report: the SPDM 1.1 GET_MEASUREMENTS request the driver sent (37 bytes, carrying the
 * verifier's nonce) followed by the GPU's MEASUREMENTS response (measurement blocks, the GPU's own nonce, OpaqueData
 * and an ECDSA P-384 signature over request and response). This is what NVML's attestation report and NVIDIA's
 * evidence JSON carry, and what Hopper (H100/H200) and Blackwell (B200) GPUs return in confidential-computing mode.
 *
 * <p>Parsing is bounded and strict: every length is checked against what remains, the number of blocks must equal the
 * count in the header, block indexes must be unique, and only zero bytes (at most {@value #MAX_PADDING}) may follow the
 * signature; anything else is a {@link GpuFormatException} naming the field.
 */
public final class SpdmReport {

    /** The largest report accepted (a Hopper report is about 4 KiB). */
    public static final int MAX_SIZE = 64 * 1024;
    /** Zero bytes tolerated after the signature (some collectors pad the report). */
    public static final int MAX_PADDING = 64;
    static final int REQUEST_SIZE = 37;
    static final int NONCE_SIZE = 32;
    static final int SIGNATURE_SIZE = 96;
    static final int SPDM_1_1 = 0x11;
    static final int GET_MEASUREMENTS = 0xE0;
    static final int MEASUREMENTS = 0x60;
    static final int DMTF_MEASUREMENT_SPEC = 0x01;

    /**
     * One measurement block.
     *
     * @param index     the SPDM index, 1-based (NVIDIA's RIMs number measurements from 0: RIM index = this - 1)
     * @param valueType DMTFSpecMeasurementValueType
     * @param value     the measurement (48 bytes on Hopper and Blackwell)
     */
    public record Block(int index, int valueType, byte[] value) {
        public Block {
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }
    }

    private final byte[] nonce;
    private final int param1;
    private final int slot;
    private final byte[] responderNonce;
    private final Map<Integer, Block> blocks;
    private final byte[] measurementRecord;
    private final OpaqueData opaque;
    private final byte[] signedBytes;
    private final byte[] signature;
    private final int padding;

    private SpdmReport(byte[] nonce, int param1, int slot, byte[] responderNonce, Map<Integer, Block> blocks,
                       byte[] measurementRecord, OpaqueData opaque, byte[] signedBytes, byte[] signature,
                       int padding) {
        this.nonce = nonce;
        this.param1 = param1;
        this.slot = slot;
        this.responderNonce = responderNonce;
        this.blocks = blocks;
        this.measurementRecord = measurementRecord;
        this.opaque = opaque;
        this.signedBytes = signedBytes;
        this.signature = signature;
        this.padding = padding;
    }

    /** Parses a report (request followed by response). */
    public static SpdmReport parse(byte[] report) throws GpuFormatException {
        if (report == null || report.length == 0) {
            throw new GpuFormatException("report", "empty");
        }
        if (report.length > MAX_SIZE) {
            throw new GpuFormatException("report", report.length + " bytes, more than the " + MAX_SIZE + " accepted");
        }
        SpdmReader r = new SpdmReader(report, 0, report.length);
        // GET_MEASUREMENTS request (SPDM 1.1 §10.11.1)
        int version = r.u8("request SPDMVersion");
        if (version != SPDM_1_1) {
            throw new GpuFormatException("request SPDMVersion", String.format("expected 0x11 (SPDM 1.1), got 0x%02x",
                    version));
        }
        int code = r.u8("request RequestResponseCode");
        if (code != GET_MEASUREMENTS) {
            throw new GpuFormatException("request RequestResponseCode",
                    String.format("expected 0xe0 (GET_MEASUREMENTS), got 0x%02x", code));
        }
        int param1 = r.u8("request Param1");
        if ((param1 & 0x01) == 0) {
            throw new GpuFormatException("request Param1", "no signature was requested, the response is unsigned");
        }
        int operation = r.u8("request Param2");
        if (operation != 0xFF) {
            throw new GpuFormatException("request Param2", String.format(
                    "expected 0xff (all measurements), got 0x%02x", operation));
        }
        byte[] nonce = r.bytes("request Nonce", NONCE_SIZE);
        int slot = r.u8("request SlotIDParam");
        // MEASUREMENTS response (SPDM 1.1 §10.11.2)
        int respVersion = r.u8("response SPDMVersion");
        if (respVersion != version) {
            throw new GpuFormatException("response SPDMVersion", String.format("0x%02x differs from the request's 0x%02x",
                    respVersion, version));
        }
        int respCode = r.u8("response RequestResponseCode");
        if (respCode != MEASUREMENTS) {
            throw new GpuFormatException("response RequestResponseCode",
                    String.format("expected 0x60 (MEASUREMENTS), got 0x%02x", respCode));
        }
        r.u8("response Param1");
        int respSlot = r.u8("response Param2") & 0x0F;
        if (respSlot != (slot & 0x0F)) {
            throw new GpuFormatException("response Param2", "slot " + respSlot + " differs from the requested slot "
                    + (slot & 0x0F));
        }
        int count = r.u8("response NumberOfBlocks");
        if (count == 0) {
            throw new GpuFormatException("response NumberOfBlocks", "no measurement blocks");
        }
        int recordLength = r.u24("response MeasurementRecordLength");
        int recordStart = r.position();
        SpdmReader record = r.slice("response MeasurementRecord", recordLength);
        byte[] measurementRecord = Arrays.copyOfRange(report, recordStart, recordStart + recordLength);
        Map<Integer, Block> blocks = parseBlocks(record, count);
        byte[] responderNonce = r.bytes("response Nonce", NONCE_SIZE);
        int opaqueLength = r.u16("response OpaqueLength");
        OpaqueData opaque = OpaqueData.parse(r.bytes("response OpaqueData", opaqueLength));
        int signedEnd = r.position();
        byte[] signature = r.bytes("response Signature", SIGNATURE_SIZE);
        int padding = r.remaining();
        if (padding > MAX_PADDING) {
            throw new GpuFormatException("report", padding + " bytes after the signature");
        }
        byte[] tail = r.bytes("padding", padding);
        for (byte b : tail) {
            if (b != 0) {
                throw new GpuFormatException("report", padding + " bytes after the signature that are not zero padding");
            }
        }
        return new SpdmReport(nonce, param1, slot, responderNonce, blocks, measurementRecord, opaque,
                Arrays.copyOfRange(report, 0, signedEnd), signature, padding);
    }

    private static Map<Integer, Block> parseBlocks(SpdmReader record, int count) throws GpuFormatException {
        Map<Integer, Block> blocks = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            if (record.remaining() == 0) {
                throw new GpuFormatException("response NumberOfBlocks", "header says " + count + ", record holds " + i);
            }
            int index = record.u8("measurement block " + i + " Index");
            int spec = record.u8("measurement block " + index + " MeasurementSpecification");
            if (spec != DMTF_MEASUREMENT_SPEC) {
                throw new GpuFormatException("measurement block " + index, String.format(
                        "MeasurementSpecification 0x%02x is not DMTF (0x01)", spec));
            }
            int size = record.u16("measurement block " + index + " MeasurementSize");
            SpdmReader m = record.slice("measurement block " + index + " Measurement", size);
            int type = m.u8("measurement block " + index + " DMTFSpecMeasurementValueType");
            int valueSize = m.u16("measurement block " + index + " DMTFSpecMeasurementValueSize");
            if (valueSize != m.remaining()) {
                throw new GpuFormatException("measurement block " + index, "value size " + valueSize
                        + " does not fill the block's " + m.remaining() + " bytes");
            }
            byte[] value = m.bytes("measurement block " + index + " value", valueSize);
            if (index == 0 || blocks.putIfAbsent(index, new Block(index, type, value)) != null) {
                throw new GpuFormatException("measurement block " + index, index == 0 ? "index 0 is reserved"
                        : "index appears twice");
            }
        }
        if (record.remaining() != 0) {
            throw new GpuFormatException("response MeasurementRecord", record.remaining()
                    + " bytes left after the " + count + " blocks the header announces");
        }
        return Collections.unmodifiableMap(blocks);
    }

    /** The requester's nonce (the verifier's challenge), 32 bytes. */
    public byte[] nonce() {
        return nonce.clone();
    }

    /** The GPU's own nonce in the response, 32 bytes. */
    public byte[] responderNonce() {
        return responderNonce.clone();
    }

    public int slot() {
        return slot;
    }

    public int requestAttributes() {
        return param1;
    }

    /** The measurement blocks by SPDM index (1-based), in report order. */
    public Map<Integer, Block> blocks() {
        return blocks;
    }

    /** The measurement record as signed, for a digest that identifies this GPU state. */
    public byte[] measurementRecord() {
        return measurementRecord.clone();
    }

    public OpaqueData opaque() {
        return opaque;
    }

    /** Request and response up to (not including) the signature: what the signature covers. */
    public byte[] signedBytes() {
        return signedBytes.clone();
    }

    /** The raw r||s ECDSA P-384 signature, 96 bytes. */
    public byte[] signature() {
        return signature.clone();
    }

    /** Zero bytes found after the signature. */
    public int padding() {
        return padding;
    }

    /** A one-line description for the verdict. */
    public String describe() {
        OpaqueData o = opaque;
        List<String> parts = new ArrayList<>();
        parts.add("SPDM 1.1 GET_MEASUREMENTS, " + blocks.size() + " measurement blocks");
        parts.add("driver " + o.driverVersion());
        parts.add("VBIOS " + o.vbiosVersion());
        if (o.has(OpaqueData.PROJECT)) {
            parts.add("board " + o.text(OpaqueData.PROJECT) + "-" + o.text(OpaqueData.PROJECT_SKU) + ", chip SKU "
                    + o.text(OpaqueData.CHIP_SKU));
        }
        parts.add("nonce " + HexFormat.of().formatHex(nonce));
        if (padding > 0) {
            parts.add(padding + " zero bytes of padding after the signature ignored");
        }
        return String.join(", ", parts);
    }
}
