package dev.veil.protocol.attestation.nvidia;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The OpaqueData of an NVIDIA GPU's SPDM MEASUREMENTS response: a sequence of {@code type (u16 LE) | size (u16 LE) |
 * value} fields carrying the driver and VBIOS versions, the chip and board identity, the FWID and status bytes. Every
 * field is covered by the report signature. Field types are those NVIDIA's verifiers define; unknown types are kept as
 * raw bytes (a newer driver may add fields) and a type that appears twice is refused (which value would count?).
 */
public final class OpaqueData {

    public static final int CERT_ISSUER_NAME = 1;
    public static final int CERT_AUTHORITY_KEY_IDENTIFIER = 2;
    public static final int DRIVER_VERSION = 3;
    public static final int GPU_INFO = 4;
    public static final int SKU = 5;
    public static final int VBIOS_VERSION = 6;
    public static final int MANUFACTURER_ID = 7;
    public static final int TAMPER_DETECTION = 8;
    public static final int SMC = 9;
    public static final int VPR = 10;
    public static final int NVDEC0_STATUS = 11;
    public static final int MSRSCNT = 12;
    public static final int CPRINFO = 13;
    public static final int BOARD_ID = 14;
    public static final int CHIP_SKU = 15;
    public static final int CHIP_SKU_MOD = 16;
    public static final int PROJECT = 17;
    public static final int PROJECT_SKU = 18;
    public static final int PROJECT_SKU_MOD = 19;
    public static final int FWID = 20;
    public static final int PROTECTED_PCIE_STATUS = 21;
    public static final int SWITCH_PDI = 22;
    public static final int FLOORSWEPT_PORTS = 23;
    public static final int POSITION_ID = 24;
    public static final int LOCK_SWITCH_STATUS = 25;
    public static final int GPU_LINK_CONN = 32;
    public static final int SYS_ENABLE_STATUS = 33;
    public static final int OPAQUE_DATA_VERSION = 34;
    public static final int CHIP_INFO = 35;
    public static final int FEATURE_FLAG = 36;

    /** NVDEC0_STATUS value meaning the NVDEC0 engine is disabled (measurement 35 is then not compared). */
    public static final int NVDEC0_DISABLED = 0x55;
    /** NVDEC0_STATUS value meaning the NVDEC0 engine is enabled. */
    public static final int NVDEC0_ENABLED = 0xAA;

    private final Map<Integer, byte[]> fields;

    private OpaqueData(Map<Integer, byte[]> fields) {
        this.fields = fields;
    }

    static OpaqueData parse(byte[] data) throws GpuFormatException {
        Map<Integer, byte[]> fields = new LinkedHashMap<>();
        SpdmReader r = new SpdmReader(data, 0, data.length);
        while (r.remaining() > 0) {
            int type = r.u16("OpaqueData field type");
            int size = r.u16("OpaqueData field " + type + " size");
            byte[] value = r.bytes("OpaqueData field " + type + " value", size);
            if (fields.putIfAbsent(type, value) != null) {
                throw new GpuFormatException("OpaqueData", "field type " + type + " appears twice");
            }
        }
        return new OpaqueData(Collections.unmodifiableMap(fields));
    }

    /** The raw value of field {@code type}, or null when absent. */
    public byte[] raw(int type) {
        byte[] v = fields.get(type);
        return v == null ? null : v.clone();
    }

    public boolean has(int type) {
        return fields.containsKey(type);
    }

    /** The field types present, in the order they appear. */
    public java.util.Set<Integer> types() {
        return fields.keySet();
    }

    /** A text field up to its first NUL, or null when absent. */
    public String text(int type) {
        byte[] v = fields.get(type);
        if (v == null) {
            return null;
        }
        int n = 0;
        while (n < v.length && v[n] != 0) {
            n++;
        }
        return new String(v, 0, n, StandardCharsets.US_ASCII).strip();
    }

    /** The driver version, e.g. {@code 550.90.07}, or null. */
    public String driverVersion() {
        return text(DRIVER_VERSION);
    }

    /**
     * The VBIOS version as NVIDIA prints it, e.g. {@code 96.00.9F.00.01}, or null. The field holds two little-endian
     * 32-bit words; the version is the first word's 8 hex digits followed by the low byte of the second.
     */
    public String vbiosVersion() {
        byte[] v = fields.get(VBIOS_VERSION);
        if (v == null || v.length != 8) {
            return null;
        }
        String hex = String.format("%02X%02X%02X%02X%02X", v[3] & 0xff, v[2] & 0xff, v[1] & 0xff, v[0] & 0xff,
                v[4] & 0xff);
        return hex.substring(0, 2) + "." + hex.substring(2, 4) + "." + hex.substring(4, 6) + "."
                + hex.substring(6, 8) + "." + hex.substring(8, 10);
    }

    /** The FWID field in lower-case hex, or null when the report has none (older Hopper drivers). */
    public String fwidHex() {
        byte[] v = fields.get(FWID);
        return v == null || v.length == 0 ? null : HexFormat.of().formatHex(v);
    }

    /** The first byte of NVDEC0_STATUS, or -1 when absent. */
    public int nvdec0Status() {
        byte[] v = fields.get(NVDEC0_STATUS);
        return v == null || v.length == 0 ? -1 : v[0] & 0xff;
    }
}
