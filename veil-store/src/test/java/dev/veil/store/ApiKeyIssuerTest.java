package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.KeyPolicy;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ApiKeyIssuerTest {

    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

    @Test
    void issuesWellFormedKeys() {
        IssuedKey issued = ApiKeyIssuer.issue("ops", NOW);
        ApiKeyRecord record = issued.record();

        assertThat(issued.secret()).matches("veil_sk_[A-Za-z0-9_-]{43}");
        assertThat(record.id()).matches("key_[0-9a-f]{16}");
        assertThat(record.secretHint()).hasSize(4).isEqualTo(issued.secret().substring(issued.secret().length() - 4));
        assertThat(record.secretHash()).isEqualTo(ApiKeyIssuer.hashSecret(issued.secret()));
        assertThat(record.name()).isEqualTo("ops");
        assertThat(record.createdAt()).isEqualTo(NOW);
        assertThat(record.active()).isTrue();
        assertThat(record.policy()).isEqualTo(KeyPolicy.UNRESTRICTED);
    }

    @Test
    void issuesKeysWithAPolicy() {
        IssuedKey issued = ApiKeyIssuer.issue("ops", KeyPolicy.preset("confidential"), NOW);

        assertThat(issued.record().policy()).isEqualTo(KeyPolicy.preset("confidential"));
        assertThat(issued.record().withPolicy(null).policy()).isEqualTo(KeyPolicy.UNRESTRICTED);
        assertThat(issued.record().toString()).contains("confidential");
    }

    @Test
    void keysAreUnique() {
        IssuedKey a = ApiKeyIssuer.issue("a", NOW);
        IssuedKey b = ApiKeyIssuer.issue("a", NOW);

        assertThat(a.secret()).isNotEqualTo(b.secret());
        assertThat(a.record().id()).isNotEqualTo(b.record().id());
    }

    @Test
    void hashIsLowercaseHexSha256() {
        assertThat(ApiKeyIssuer.hashSecret("abc"))
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(ApiKeyIssuer.hashSecret(ApiKeyIssuer.issue("x", NOW).secret())).matches("[0-9a-f]{64}");
    }

    @Test
    void toStringNeverShowsTheSecretOrItsHash() {
        IssuedKey issued = ApiKeyIssuer.issue("ops", NOW);

        assertThat(issued.toString()).doesNotContain(issued.secret(), issued.record().secretHash())
                .contains(issued.record().id());
        assertThat(issued.record().toString()).doesNotContain(issued.secret(), issued.record().secretHash())
                .contains(issued.record().id());
    }
}
