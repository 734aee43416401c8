package dev.veil.gateway.dashboard;

import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;

/** The errors of the dashboard and its endpoints: OpenAI-shaped, each saying what to do. */
final class DashboardErrors {

    private DashboardErrors() {
    }

    static InvalidRequestException invalidSession() {
        return new InvalidRequestException(new OpenAiError(401, "Your dashboard session has expired or is not valid; "
                + "log in again at /ui.", OpenAiError.AUTHENTICATION, null, "invalid_session"));
    }

    static InvalidRequestException operatorOnly() {
        return new InvalidRequestException(new OpenAiError(403, "This is the operator's view: log in to /ui with the "
                + "admin token. A session opened with an API key sees only that key's own data.",
                OpenAiError.PERMISSION, null, "operator_only"));
    }

    static InvalidRequestException keyOwnerOnly() {
        return new InvalidRequestException(new OpenAiError(403, "This shows one API key's own data: send that key as "
                + "'Authorization: Bearer <key>' or log in to /ui with it. The operator's view of every key is under "
                + "/v1/admin/.", OpenAiError.PERMISSION, null, "key_owner_only"));
    }

    static InvalidRequestException csrf() {
        return new InvalidRequestException(new OpenAiError(403, "Missing or wrong CSRF token: a change made with a "
                + "dashboard session must carry the X-CSRF-Token header that GET /ui/session returns. Reload the page.",
                OpenAiError.PERMISSION, DashboardSessions.CSRF_HEADER, "csrf_token_invalid"));
    }

    static InvalidRequestException invalid(String message, String param) {
        return new InvalidRequestException(OpenAiError.invalidRequest(message, param, "invalid_value"));
    }
}
