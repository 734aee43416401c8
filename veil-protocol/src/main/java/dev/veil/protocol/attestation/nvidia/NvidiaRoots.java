package dev.veil.protocol.attestation.nvidia;

import java.security.cert.X509Certificate;

/**
 * NVIDIA's two trust anchors, embedded in the code (not as class-path resources, so they cannot be swapped without
 * changing the code) and pinned by the SHA-256 of their SubjectPublicKeyInfo.
 *
 * <p>Source of both: NVIDIA's local GPU verifier, {@code github.com/NVIDIA/nvtrust}
 * {@code guest_tools/gpu_verifiers/local_gpu_verifier/src/verifier/certs/} ({@code verifier_device_root.pem},
 * {@code verifier_RIM_root.pem}); the device root is also the last certificate of every GPU certificate chain in the
 * public samples, and the RIM root the last certificate of every RIM NVIDIA signs.
 */
public final class NvidiaRoots {

    /** SHA-256 of the SubjectPublicKeyInfo of "NVIDIA Device Identity CA" (ECDSA P-384, 2021-11-05 .. 9999-12-31). */
    public static final String DEVICE_IDENTITY_CA_SPKI_SHA256 =
            "a90c4eb5acfd3e3d03a25db6a26b84f720ad0503196c627c21ddd48dd85b06a4";

    /** SHA-256 of the SubjectPublicKeyInfo of "NVIDIA CoRIM signing Root CA" (ECDSA P-384, 2023-03-16 .. 2053-03-08). */
    public static final String RIM_SIGNING_ROOT_SPKI_SHA256 =
            "dec1dc316477aa851eebdf51327ae9f864bc8d89254657ed1e7eb9168af1e1a3";

    static final String DEVICE_IDENTITY_CA_PEM = """
            -----BEGIN CERTIFICATE-----
            MIICCzCCAZCgAwIBAgIQLTZwscoQBBHB/sDoKgZbVDAKBggqhkjOPQQDAzA1MSIw
            IAYDVQQDDBlOVklESUEgRGV2aWNlIElkZW50aXR5IENBMQ8wDQYDVQQKDAZOVklE
            SUEwIBcNMjExMTA1MDAwMDAwWhgPOTk5OTEyMzEyMzU5NTlaMDUxIjAgBgNVBAMM
            GU5WSURJQSBEZXZpY2UgSWRlbnRpdHkgQ0ExDzANBgNVBAoMBk5WSURJQTB2MBAG
            ByqGSM49AgEGBSuBBAAiA2IABA5MFKM7+KViZljbQSlgfky/RRnEQScW9NDZF8SX
            gAW96r6u/Ve8ZggtcYpPi2BS4VFu6KfEIrhN6FcHG7WP05W+oM+hxj7nyA1r1jkB
            2Ry70YfThX3Ba1zOryOP+MJ9vaNjMGEwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B
            Af8EBAMCAQYwHQYDVR0OBBYEFFeF/4PyY8xlfWi3Olv0jUrL+0lfMB8GA1UdIwQY
            MBaAFFeF/4PyY8xlfWi3Olv0jUrL+0lfMAoGCCqGSM49BAMDA2kAMGYCMQCPeFM3
            TASsKQVaT+8S0sO9u97PVGCpE9d/I42IT7k3UUOLSR/qvJynVOD1vQKVXf0CMQC+
            EY55WYoDBvs2wPAH1Gw4LbcwUN8QCff8bFmV4ZxjCRr4WXTLFHBKjbfneGSBWwA=
            -----END CERTIFICATE-----
            """;

    static final String RIM_SIGNING_ROOT_PEM = """
            -----BEGIN CERTIFICATE-----
            MIICKTCCAbCgAwIBAgIQRdrjoA5QN73fh1N17LXicDAKBggqhkjOPQQDAzBFMQsw
            CQYDVQQGEwJVUzEPMA0GA1UECgwGTlZJRElBMSUwIwYDVQQDDBxOVklESUEgQ29S
            SU0gc2lnbmluZyBSb290IENBMCAXDTIzMDMxNjE1MzczNFoYDzIwNTMwMzA4MTUz
            NzM0WjBFMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGTlZJRElBMSUwIwYDVQQDDBxO
            VklESUEgQ29SSU0gc2lnbmluZyBSb290IENBMHYwEAYHKoZIzj0CAQYFK4EEACID
            YgAEuECyi9vNM+Iw2lfUzyBldHAwaC1HF7TCgp12QcEyUTm3Tagxwr48d55+K2VI
            lWYIDk7NlAIQdcV/Ff7euGLI+Qauj93HsSI4WX298PpW54RTgz9tC+Q684caR/BX
            WEeZo2MwYTAdBgNVHQ4EFgQUpaXrOPK4ZDAk08DBskn594zeZjAwHwYDVR0jBBgw
            FoAUpaXrOPK4ZDAk08DBskn594zeZjAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8B
            Af8EBAMCAQYwCgYIKoZIzj0EAwMDZwAwZAIwHGDyscDP6ihHqRvZlI3eqZ4YkvjE
            1duaN84tAHRVgxVMvNrp5Tnom3idHYGW/dskAjATvjIx6VzHm/4e2GiZAyZEIUBD
            OKPzp5ei/A0iUZpdvngenDwV8Qa/wGdiTmJ7Bp4=
            -----END CERTIFICATE-----
            """;

    private static final X509Certificate DEVICE_IDENTITY_CA = load(DEVICE_IDENTITY_CA_PEM,
            DEVICE_IDENTITY_CA_SPKI_SHA256);
    private static final X509Certificate RIM_SIGNING_ROOT = load(RIM_SIGNING_ROOT_PEM, RIM_SIGNING_ROOT_SPKI_SHA256);

    private NvidiaRoots() {
    }

    /** The pinned root of every GPU device certificate chain. */
    public static X509Certificate deviceIdentityCa() {
        return DEVICE_IDENTITY_CA;
    }

    /** The pinned root of every RIM signing chain. */
    public static X509Certificate rimSigningRoot() {
        return RIM_SIGNING_ROOT;
    }

    private static X509Certificate load(String pem, String pin) {
        try {
            X509Certificate cert = GpuCerts.pemChain(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                    "embedded root").getFirst();
            if (!GpuCerts.spkiSha256(cert).equals(pin)) {
                throw new IllegalStateException("an embedded NVIDIA root does not match its pinned key");
            }
            return cert;
        } catch (GpuFormatException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
