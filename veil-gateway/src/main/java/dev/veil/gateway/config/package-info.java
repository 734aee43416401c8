/**
 * Veil's YAML configuration: the immutable records that {@code veil serve --config veil.yaml} binds
 * ({@link dev.veil.gateway.config.VeilConfig} and its parts), and {@link dev.veil.gateway.config.ConfigLoader}, which
 * parses the file, applies {@code VEIL_<PATH>} environment overrides, fills defaults, and validates the result,
 * naming every bad field by its path.
 *
 * <p>Secrets never appear in the configuration: they are referenced by the name of the environment variable that holds
 * them ({@code api_key_env}, {@code username_env}, {@code password_env}, {@code admin_token_env}) and resolved at
 * run time from the environment.
 */
package dev.veil.gateway.config;
