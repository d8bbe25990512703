// test_dcams.cpp — C++ tests of include/dcams.hpp against local sandboxes.
//
//   test_dcams_cpp --url URL --data DIR --quoted-url URL --slow-url URL [--quick]
//   test_dcams_cpp --print-quoted-pass
//
// --url is a plain `dcams-sandbox`'s storage URL; --quoted-url one started
// with `--pass "$(test_dcams_cpp --print-quoted-pass)"`; --slow-url one with
// `--latency-ms SLOW_LATENCY_MS`; --data holds the specimen images. --quick
// shrinks the threads test (for Valgrind). The last line printed is "N
// passed, M failed"; the exit status is 1 if anything failed.

#include "dcams.hpp"

extern "C" {
#include "http_get.h"
}

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <typeindex>
#include <typeinfo>
#include <vector>
#if __cplusplus >= 202002L
#include <span>
#endif

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- compile-time properties of the header -----------------------------------

// RAII handles are move-only and move without throwing.
static_assert(!std::is_copy_constructible_v<dcams::Client> && !std::is_copy_assignable_v<dcams::Client>);
static_assert(std::is_nothrow_move_constructible_v<dcams::Client> && std::is_nothrow_move_assignable_v<dcams::Client>);
static_assert(!std::is_copy_constructible_v<dcams::Config> && std::is_nothrow_move_constructible_v<dcams::Config>);
static_assert(!std::is_copy_constructible_v<dcams::Call> && std::is_nothrow_move_constructible_v<dcams::Call>);
static_assert(!std::is_copy_constructible_v<dcams::ImagesResult> &&
              std::is_nothrow_move_constructible_v<dcams::ImagesResult>);
static_assert(!std::is_default_constructible_v<dcams::Client>);
// Errors: std::runtime_error, copied without throwing (exceptions are copied when thrown).
static_assert(std::is_base_of_v<std::runtime_error, dcams::Error>);
static_assert(std::is_nothrow_copy_constructible_v<dcams::Error>);
static_assert(std::is_base_of_v<dcams::AuthError, dcams::UnauthorizedError> &&
              std::is_base_of_v<dcams::AuthError, dcams::ForbiddenError> &&
              std::is_base_of_v<dcams::ServiceError, dcams::AuthError> &&
              std::is_base_of_v<dcams::ServiceError, dcams::RateLimitedError> &&
              std::is_base_of_v<dcams::ServiceError, dcams::ServerError> &&
              std::is_base_of_v<dcams::TransportError, dcams::TlsError> &&
              std::is_base_of_v<dcams::TransportError, dcams::TimeoutError>);
// Accessors are noexcept.
static_assert(noexcept(std::declval<const dcams::Error &>().code()) &&
              noexcept(std::declval<const dcams::Error &>().http_status()) &&
              noexcept(std::declval<const dcams::Error &>().service_message()) &&
              noexcept(std::declval<const dcams::Error &>().field()) &&
              noexcept(std::declval<const dcams::Error &>().retryable()) &&
              noexcept(std::declval<const dcams::Error &>().attempts()) &&
              noexcept(std::declval<const dcams::Error &>().json()));
static_assert(noexcept(std::declval<const dcams::UpsertResult &>().type()) &&
              noexcept(std::declval<const dcams::UpsertResult &>().status()) &&
              noexcept(std::declval<const dcams::UpsertResult &>().reference()) &&
              noexcept(std::declval<const dcams::UpsertResult &>().customer_link()) &&
              noexcept(std::declval<const dcams::UpsertResult &>().attributes()) &&
              noexcept(std::declval<const dcams::UpsertResult &>().json()) &&
              noexcept(std::declval<const dcams::ImagesResult &>().front()) &&
              noexcept(std::declval<const dcams::ImagesResult &>().back()));
// Bytes: containers of one-byte elements are byte views; strings are paths.
static_assert(std::is_convertible_v<std::vector<std::uint8_t>, dcams::ByteView>);
static_assert(std::is_convertible_v<std::array<std::byte, 4>, dcams::ByteView>);
static_assert(!std::is_convertible_v<std::string, dcams::ByteView>);
static_assert(!std::is_convertible_v<std::vector<int>, dcams::ByteView>);
static_assert(std::is_convertible_v<std::string, dcams::Document> &&
              std::is_convertible_v<const char *, dcams::Document> &&
              std::is_convertible_v<fs::path, dcams::Document> &&
              std::is_convertible_v<std::vector<std::uint8_t>, dcams::Document>);
#if __cplusplus >= 202002L
static_assert(std::is_convertible_v<std::span<const std::uint8_t>, dcams::ByteView>);
#endif

// ---- tiny harness ---------------------------------------------------------------

static std::atomic<int> g_passed{0}, g_failed{0};

static bool check_impl(bool ok, const char *expr, const std::string &context, const char *file, int line) {
    if (ok) {
        ++g_passed;
    } else {
        ++g_failed;
        std::ostringstream out;
        out << "FAIL " << file << ':' << line << ": " << expr << '\n';
        if (!context.empty())
            out << "     got: " << context.substr(0, 600) << '\n';
        std::cerr << out.str();
    }
    return ok;
}
#define CHECK(cond) check_impl(static_cast<bool>(cond), #cond, std::string(), __FILE__, __LINE__)
#define CHECK_CTX(cond, ctx) check_impl(static_cast<bool>(cond), #cond, (ctx), __FILE__, __LINE__)

static void section(const char *name) { std::cout << "== " << name << std::endl; }

// Runs f; it must throw exactly Expected (its dynamic type, not a subclass).
// Returns a copy of the exception, or nullopt after counting a failure.
template <class Expected, class F>
static std::optional<Expected> throws(F &&f, const char *expr, const char *file, int line) {
    std::string got;
    try {
        f();
        got = "no exception";
    } catch (const Expected &e) {
        if (typeid(e) == typeid(Expected)) {
            check_impl(true, expr, std::string(), file, line);
            return e;
        }
        got = std::string("a subclass: ") + typeid(e).name() + ", " + e.name() + ": " + e.what();
    } catch (const dcams::Error &e) {
        got = std::string(typeid(e).name()) + ", " + e.name() + ": " + e.what();
    } catch (const std::exception &e) {
        got = std::string("std::exception: ") + e.what();
    }
    check_impl(false, (std::string(expr) + " throws " + typeid(Expected).name()).c_str(), got, file, line);
    return std::nullopt;
}
#define THROWS(Type, ...) throws<Type>([&] { (void)(__VA_ARGS__); }, #__VA_ARGS__, __FILE__, __LINE__)

// ---- environment --------------------------------------------------------------------

constexpr const char *kUser = "sandbox-user";
constexpr const char *kPass = "sandbox-pass";
constexpr const char *kStorageSuffix = "/v3/stable/api/storage";
// The --quoted-url sandbox's password: a quote, a backslash, an e-acute.
constexpr const char *kQuotedPass = "c++\"pa\\ss\xc3\xa9";
// The --slow-url sandbox's --latency-ms (run.sh passes the same number).
constexpr int kSlowLatencyMs = 1500;

static std::string g_url, g_base, g_quoted_url, g_slow_url, g_data;

static std::string data_path(const char *name) { return g_data + "/" + name; }

static std::vector<std::uint8_t> read_bytes(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::cerr << "cannot read " << path << '\n';
        std::exit(2);
    }
    return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

static bool same(dcams::ByteView a, const std::vector<std::uint8_t> &b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// A hermetic configuration JSON for a sandbox at `url`, plus `extra` members.
static std::string config_json(const std::string &url, const std::string &extra = "",
                               const std::string &pass = kPass) {
    return "{\"environment\":false,\"endpoint\":\"" + url + "\",\"user\":\"" + kUser + "\",\"pass\":\"" + pass + "\"" +
           extra + "}";
}

// ---- sandbox admin endpoints -----------------------------------------------------

struct Reply {
    int status = 0;
    std::string body;
};

static Reply admin(const char *method, const std::string &path, const char *body = nullptr,
                   const std::string &base = g_base) {
    http_reply r{};
    Reply out;
    if (http_request_body(method, (base + path).c_str(), body, &r) == 0) {
        out.status = r.status;
        out.body.assign(reinterpret_cast<const char *>(r.body), r.len);
    }
    http_reply_free(&r);
    return out;
}

static long requests(const std::string &base = g_base) {
    Reply r = admin("GET", "/_sandbox/stats", nullptr, base);
    const std::string key = "\"requests\":";
    auto at = r.body.find(key);
    return r.status == 200 && at != std::string::npos ? std::strtol(r.body.c_str() + at + key.size(), nullptr, 10)
                                                       : -1;
}

static bool script(const std::string &answer) {
    return admin("POST", "/_sandbox/script", answer.c_str()).status == 200;
}

static std::string encode(const std::string &email) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : email) {
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// The bytes the sandbox stored as `side` of `email` (status 404 if none).
static Reply stored(const std::string &email, const char *side) {
    return admin("GET", "/_sandbox/customers/" + encode(email) + "/documents/" + side);
}

// ---- tests ------------------------------------------------------------------------

// Every code libdcams names maps to its class; unknown codes to their range's.
static void test_error_mapping() {
    section("error classes: every code");
    const std::map<int, std::type_index> classes = {
        {DCAMS_ERR_NULL_ARGUMENT, typeid(dcams::InvalidArgumentError)},
        {DCAMS_ERR_INVALID_ARGUMENT, typeid(dcams::InvalidArgumentError)},
        {DCAMS_ERR_INVALID_UTF8, typeid(dcams::InvalidArgumentError)},
        {DCAMS_ERR_INVALID_JSON, typeid(dcams::InvalidArgumentError)},
        {DCAMS_ERR_VALIDATION, typeid(dcams::ValidationError)},
        {DCAMS_ERR_CONFIG, typeid(dcams::ConfigError)},
        {DCAMS_ERR_FILE, typeid(dcams::FileError)},
        {DCAMS_ERR_NOT_PRESENT, typeid(dcams::InvalidArgumentError)},
        {DCAMS_ERR_WRONG_TYPE, typeid(dcams::InvalidArgumentError)},
        {DCAMS_ERR_BAD_REQUEST, typeid(dcams::BadRequestError)},
        {DCAMS_ERR_UNAUTHORIZED, typeid(dcams::UnauthorizedError)},
        {DCAMS_ERR_FORBIDDEN, typeid(dcams::ForbiddenError)},
        {DCAMS_ERR_NOT_FOUND, typeid(dcams::NotFoundError)},
        {DCAMS_ERR_PAYLOAD_TOO_LARGE, typeid(dcams::PayloadTooLargeError)},
        {DCAMS_ERR_RATE_LIMITED, typeid(dcams::RateLimitedError)},
        {DCAMS_ERR_SERVER_ERROR, typeid(dcams::ServerError)},
        {DCAMS_ERR_SERVICE_ERROR, typeid(dcams::ServiceError)},
        {DCAMS_ERR_HTTP, typeid(dcams::ServiceError)},
        {DCAMS_ERR_TRANSPORT, typeid(dcams::TransportError)},
        {DCAMS_ERR_TLS, typeid(dcams::TlsError)},
        {DCAMS_ERR_TIMEOUT, typeid(dcams::TimeoutError)},
        {DCAMS_ERR_BAD_RESPONSE, typeid(dcams::BadResponseError)},
        {DCAMS_ERR_REDIRECT, typeid(dcams::RedirectError)},
        {DCAMS_ERR_CANCELLED, typeid(dcams::TransportError)},
        {DCAMS_ERR_INTERNAL, typeid(dcams::InternalError)},
        // Codes this version does not know: the base of their range.
        {10, typeid(dcams::InvalidArgumentError)},
        {19, typeid(dcams::InvalidArgumentError)},
        {30, typeid(dcams::ServiceError)},
        {46, typeid(dcams::TransportError)},
        {59, typeid(dcams::TransportError)},
        {60, typeid(dcams::Error)},
        {-7, typeid(dcams::Error)},
    };
    // The table covers every code the library has a name for.
    for (int n = -1; n <= 128; n++) {
        if (n != DCAMS_OK && std::strcmp(dcams_code_name(n), "DCAMS_ERR_UNKNOWN") != 0)
            CHECK_CTX(classes.count(n) == 1, dcams_code_name(n));
    }
    for (const auto &[n, type] : classes) {
        const auto code = static_cast<dcams_code>(n);
        try {
            dcams::throw_error(code, nullptr);
        } catch (const dcams::Error &e) {
            CHECK_CTX(std::type_index(typeid(e)) == type, std::to_string(n) + " threw " + typeid(e).name());
            CHECK(e.code() == code);
            CHECK(std::string(e.what()) == dcams_code_name(n)); // no JSON: the name
            CHECK(std::string(e.name()) == dcams_code_name(n));
        }
    }

    // Every member of the error JSON is read.
    const char *json = "{\"code\":26,\"name\":\"DCAMS_ERR_SERVER_ERROR\",\"message\":\"HTTP 503: busy \\\"now\\\"\","
                       "\"field\":\"documents.front\",\"http_status\":503,\"service_message\":\"busy\","
                       "\"service_code\":\"Q7\",\"detail\":\"text/html: <html>\",\"retryable\":true,\"attempts\":3}";
    try {
        dcams::throw_error(DCAMS_ERR_SERVER_ERROR, json);
    } catch (const dcams::ServiceError &e) { // caught by its base
        CHECK(dynamic_cast<const dcams::ServerError *>(&e) != nullptr);
        CHECK(std::string(e.what()) == "HTTP 503: busy \"now\"");
        CHECK(e.field() == "documents.front");
        CHECK(e.http_status() == 503);
        CHECK(e.service_message() == "busy");
        CHECK(e.service_code() == "Q7");
        CHECK(e.detail() == "text/html: <html>");
        CHECK(e.retryable());
        CHECK(e.attempts() == 3u);
        CHECK(e.json() == json);
        const dcams::Error copy = e; // shares the members
        CHECK(copy.service_message() == "busy" && &copy.json() == &e.json());
    }
    // Absent members: empty, 0, false.
    try {
        dcams::throw_error(DCAMS_ERR_VALIDATION, "{\"code\":5,\"message\":\"m\",\"field\":null}");
    } catch (const dcams::Error &e) {
        CHECK(e.field().empty() && e.http_status() == 0 && !e.retryable() && e.attempts() == 0u);
    }
}

static void test_config_and_moves() {
    section("Client, Config and Call: construction, moves");
    // From JSON; moved; the moved-from one refuses calls.
    dcams::Client a(config_json(g_url));
    dcams::Client b(std::move(a));
    CHECK(a.get() == nullptr && b.get() != nullptr); // NOLINT: testing the moved-from state
    if (auto e = THROWS(dcams::InvalidArgumentError, a.get_status("x@example.com")))
        CHECK(e->code() == DCAMS_ERR_NULL_ARGUMENT);
    dcams::Client c(config_json(g_url));
    c = std::move(b); // frees c's own handle (Valgrind/ASan: no leak)
    CHECK(b.get() == nullptr && c.get() != nullptr);
    if (auto e = THROWS(dcams::NotFoundError, c.get_status("nobody@example.com")))
        CHECK(e->http_status() == 404);

    // From a Config: members by name, no JSON. The Config may go first.
    std::optional<dcams::Client> from_config;
    {
        dcams::Config config;
        config.environment(false).endpoint(g_url).user(kUser).pass(kPass).retries(0).timeout(30s).check_image_format(
            true);
        from_config.emplace(config);
        dcams::Config moved(std::move(config));
        CHECK(config.get() == nullptr && moved.get() != nullptr);
    }
    if (from_config) {
        dcams::Customer ada("cpp-config@example.com", data_path("passport-td3.jpg"));
        CHECK(from_config->upsert(ada).created());
    }
    if (auto e = THROWS(dcams::InvalidArgumentError, dcams::Config().set_string("colour", "blue"))) {
        CHECK(e->code() == DCAMS_ERR_INVALID_JSON);
        CHECK(std::string(e->what()).find("colour") != std::string::npos);
    }
    if (auto e = THROWS(dcams::InvalidArgumentError, dcams::Config().retries(-1)))
        CHECK(e->code() == DCAMS_ERR_INVALID_JSON);
    THROWS(dcams::InvalidArgumentError, dcams::Client("{\"colour\":1}"));
    THROWS(dcams::InvalidArgumentError, dcams::Client("["));

    // From the environment.
    setenv("DCAMS_ENDPOINT", g_url.c_str(), 1);
    setenv("DCAMS_USER", kUser, 1);
    setenv("DCAMS_PASS", kPass, 1);
    {
        dcams::Client env = dcams::Client::from_environment();
        dcams::Customer grace("cpp-env@example.com", data_path("passport-td3.jpg"));
        CHECK(env.upsert(grace).created());
    }
    unsetenv("DCAMS_ENDPOINT");
    unsetenv("DCAMS_USER");
    unsetenv("DCAMS_PASS");

    // Call: moves and its deadline's range.
    dcams::Call call(5s);
    dcams::Call other(std::move(call));
    CHECK(call.get() == nullptr && other.get() != nullptr);
    CHECK(!other.meta().has_value()); // no call made with it yet
    if (auto e = THROWS(dcams::InvalidArgumentError, other.timeout(0ms)))
        CHECK(e->code() == DCAMS_ERR_INVALID_ARGUMENT);
    THROWS(dcams::InvalidArgumentError, other.timeout(-5ms));
}

// Every service, with typed results checked against what was sent and stored.
static void test_services() {
    section("services: upsert, getStatus, updateStatus, getDocumentImages, save, call_json");
    const std::string email = "cpp-ada@example.com";
    const auto td3_jpg = read_bytes(data_path("passport-td3.jpg"));
    const auto td2_png = read_bytes(data_path("passport-td2.png"));
    const auto td3_png = read_bytes(data_path("passport-td3.png"));
    const auto td2_jpg = read_bytes(data_path("passport-td2.jpg"));
    const dcams::Client client(config_json(g_url));
    const long before = requests();

    // createOrUpdateCustomer from paths.
    dcams::Customer ada(email, fs::path(data_path("passport-td3.jpg")));
    ada.back(data_path("passport-td2.png"))
        .fn("Ada")
        .ln("Example")
        .addr("1 Test Way")
        .city("Springfield")
        .state("IL")
        .zip("62701")
        .dob("19800214")
        .reference("CPP-1");
    const dcams::UpsertResult created = client.upsert(ada);
    CHECK(created.created());
    CHECK(created.type() == "createCustomer");
    CHECK(created.result() == "Success");
    CHECK(created.status() == dcams::Status::Pending);
    CHECK(created.status_text() == "PENDING");
    CHECK(created.reference() == "CPP-1");
    CHECK_CTX(created.customer_link().rfind("http", 0) == 0, created.json());
    CHECK(created.attributes().email == email);
    CHECK(created.attributes().fn == std::optional<std::string>("Ada"));
    CHECK(created.attributes().city == std::optional<std::string>("Springfield"));
    CHECK(created.attributes().dob == std::optional<std::string>("19800214"));
    CHECK(!created.attributes().phone.has_value()); // not sent
    CHECK(created.json().find("\"type\":\"createCustomer\"") != std::string::npos);
    CHECK(created.string_at("/target/zip") == std::optional<std::string>("62701"));
    CHECK(!created.string_at("/target/nothing").has_value());
    CHECK(!created.int_at("/status").has_value()); // a string, not an integer
    CHECK(!created.bool_at("/type").has_value());
    if (auto e = THROWS(dcams::InvalidArgumentError, created.string_at("status")))
        CHECK(e->code() == DCAMS_ERR_INVALID_ARGUMENT);
    CHECK(requests() == before + 1);
    {
        const Reply front = stored(email, "front"), back = stored(email, "back");
        CHECK(front.status == 200 && same(dcams::ByteView(front.body.data(), front.body.size()), td3_jpg));
        CHECK(back.status == 200 && same(dcams::ByteView(back.body.data(), back.body.size()), td2_png));
    }
    const dcams::UpsertResult updated = client.upsert(ada);
    CHECK(!updated.created() && updated.type() == "updateCustomer");

    // The same customer from bytes: a vector, and a ByteView over std::byte.
    std::vector<std::byte> back_bytes(td2_jpg.size());
    std::transform(td2_jpg.begin(), td2_jpg.end(), back_bytes.begin(), [](std::uint8_t b) { return std::byte{b}; });
    ada.front(td3_png).back(dcams::ByteView(back_bytes.data(), back_bytes.size()));
    CHECK(client.upsert(ada).type() == "updateCustomer");
    {
        const Reply front = stored(email, "front"), back = stored(email, "back");
        CHECK(same(dcams::ByteView(front.body.data(), front.body.size()), td3_png));
        CHECK(same(dcams::ByteView(back.body.data(), back.body.size()), td2_jpg));
    }
#if __cplusplus >= 202002L
    {
        dcams::Customer spanned("cpp-span@example.com", std::span<const std::uint8_t>(td2_jpg));
        CHECK(client.upsert(spanned).created());
        const Reply front = stored("cpp-span@example.com", "front");
        CHECK(same(dcams::ByteView(front.body.data(), front.body.size()), td2_jpg));
    }
#endif

    // getStatus, updateStatus.
    const dcams::Result status = client.get_status(email);
    CHECK(status.status() == dcams::Status::Pending);
    CHECK(status.reference() == "CPP-1");
    CHECK(status.attributes().ln == std::optional<std::string>("Example"));
    const dcams::Result passed = client.update_status(email, dcams::Status::Pass);
    CHECK(passed.status() == dcams::Status::Pass); // read from target.status
    CHECK(passed.string_at("/target/status") == std::optional<std::string>("PASS"));
    CHECK(client.get_status(email).status() == dcams::Status::Pass);
    CHECK(client.update_status(email, dcams::Status::Fail).status_text() == "FAIL");
    CHECK(std::string(dcams::to_string(dcams::Status::Pending)) == "PENDING");
    CHECK(dcams::parse_status("PASS") == dcams::Status::Pass && !dcams::parse_status("pass"));

    // getDocumentImages: the bytes as stored, owned by the result.
    {
        dcams::ImagesResult images = client.get_document_images(email);
        CHECK(same(images.front(), td3_png));
        CHECK(images.back().has_value() && same(*images.back(), td2_jpg));
        CHECK(images.front_bytes() == static_cast<std::int64_t>(td3_png.size()));
        CHECK(images.back_bytes() == static_cast<std::int64_t>(td2_jpg.size()));
        CHECK(images.status() == dcams::Status::Fail);
        CHECK(images.json().find("\"front\":") == std::string::npos); // no base64 in the JSON
        const std::uint8_t *data = images.front().data();
        dcams::ImagesResult moved(std::move(images)); // the buffers move with it
        CHECK(moved.front().data() == data && same(moved.front(), td3_png));
        CHECK(moved.get() != nullptr);
    }
    // A customer without a back image.
    const std::string solo = "cpp-front-only@example.com";
    CHECK(client.upsert(dcams::Customer(solo, td3_jpg)).created());
    {
        const dcams::ImagesResult images = client.get_document_images(solo);
        CHECK(same(images.front(), td3_jpg));
        CHECK(!images.back().has_value());
        CHECK(images.back_bytes() == 0);
    }

    // save_document_images: files; a stale back file is removed.
    char tmpl[] = "/tmp/dcams-cpp-test-XXXXXX";
    if (CHECK(mkdtemp(tmpl) != nullptr)) {
        const fs::path dir(tmpl);
        const dcams::SavedImagesResult saved = client.save_document_images(email, dir / "front.png", dir / "back.jpg");
        CHECK(saved.front_bytes() == static_cast<std::int64_t>(td3_png.size()));
        CHECK(read_bytes((dir / "front.png").string()) == td3_png);
        CHECK(read_bytes((dir / "back.jpg").string()) == td2_jpg);
        std::ofstream(dir / "stale.png") << "stale";
        const dcams::SavedImagesResult solo_saved =
            client.save_document_images(solo, dir / "solo.jpg", dir / "stale.png");
        CHECK(solo_saved.back_bytes() == 0);
        CHECK(read_bytes((dir / "solo.jpg").string()) == td3_jpg);
        CHECK(!fs::exists(dir / "stale.png"));
        client.save_document_images(solo, dir / "solo2.jpg"); // no back path at all
        CHECK(fs::exists(dir / "solo2.jpg"));
        if (auto e = THROWS(dcams::FileError, client.save_document_images(solo, dir / "no-such-dir" / "f.jpg")))
            CHECK(e->attempts() == 1u);
        fs::remove_all(dir);
    }

    // The JSON entry point, any service.
    const dcams::Result json =
        client.call_json("{\"service\":\"getStatus\",\"target\":{\"email\":\"" + email + "\"}}");
    CHECK(json.status() == dcams::Status::Fail);
    CHECK(json.attributes().email == email);
}

// A Call: its own deadline, and what each call did.
static void test_call() {
    section("Call: per-call deadline and metadata");
    const dcams::Client client(config_json(g_url));
    dcams::Call call;
    const std::string email = "cpp-call@example.com";
    client.upsert(dcams::Customer(email, data_path("passport-td3.jpg")), &call);
    if (auto meta = call.meta(); CHECK(meta.has_value())) {
        CHECK(meta->code == DCAMS_OK);
        CHECK(meta->attempts == 1u);
        CHECK(meta->http_status == 200);
        CHECK(meta->request_bytes > read_bytes(data_path("passport-td3.jpg")).size()); // base64 and more
        CHECK(meta->response_bytes > 0);
        CHECK(meta->elapsed < 60s);
    }
    THROWS(dcams::NotFoundError, client.get_status("nobody@example.com", &call));
    if (auto meta = call.meta(); CHECK(meta.has_value()))
        CHECK(meta->code == DCAMS_ERR_NOT_FOUND && meta->http_status == 404 && meta->attempts == 1u);
    THROWS(dcams::ValidationError, client.get_status("not-an-email", &call));
    if (auto meta = call.meta(); CHECK(meta.has_value()))
        CHECK(meta->code == DCAMS_ERR_VALIDATION && meta->attempts == 0u && meta->http_status == 0);

    // Against a sandbox that answers after kSlowLatencyMs: a short deadline
    // cuts the call short, a long one lets a hasty client's call finish.
    if (!CHECK_CTX(!g_slow_url.empty(), "run with --slow-url"))
        return;
    const dcams::Client patient(config_json(g_slow_url, ",\"retries\":0"));
    const dcams::Client hasty(config_json(g_slow_url, ",\"retries\":0,\"timeout_ms\":300"));
    dcams::Call short_call(300ms);
    if (auto e = THROWS(dcams::TimeoutError, patient.get_status(email, &short_call))) {
        CHECK(e->retryable());
        auto meta = short_call.meta();
        CHECK(meta && meta->code == DCAMS_ERR_TIMEOUT &&
              meta->elapsed < std::chrono::milliseconds(kSlowLatencyMs - 300));
    }
    THROWS(dcams::TimeoutError, hasty.get_status(email));
    dcams::Call long_call(30s);
    THROWS(dcams::NotFoundError, hasty.get_status("nobody@example.com", &long_call));
    auto meta = long_call.meta();
    CHECK(meta && meta->http_status == 404 && meta->elapsed >= std::chrono::milliseconds(kSlowLatencyMs - 100));
}

// Every exception class, each from a real failure.
static void test_exceptions() {
    section("exceptions: every class from a real failure");
    const dcams::Client client(config_json(g_url, ",\"retries\":0"));
    const std::string email = "cpp-errors@example.com";
    const std::string front = data_path("passport-td3.jpg");
    client.upsert(dcams::Customer(email, front));

    // InvalidArgumentError: bad UTF-8, bad JSON.
    if (auto e = THROWS(dcams::InvalidArgumentError, client.get_status("x\x80@example.com")))
        CHECK(e->code() == DCAMS_ERR_INVALID_UTF8 && e->attempts() == 0u);
    if (auto e = THROWS(dcams::InvalidArgumentError, client.call_json("{")))
        CHECK(e->code() == DCAMS_ERR_INVALID_JSON);
    // ValidationError, with the field.
    if (auto e = THROWS(dcams::ValidationError, client.upsert(dcams::Customer(email, front).dob("19900231")))) {
        CHECK(e->field() == "dob");
        CHECK(!e->retryable() && e->attempts() == 0u);
    }
    if (auto e = THROWS(dcams::ValidationError, client.upsert(dcams::Customer(email, dcams::Document()))))
        CHECK(e->field() == "documents.front");
    if (auto e = THROWS(dcams::ValidationError, client.update_status(email, static_cast<dcams::Status>(7))))
        CHECK(e->field() == "status");
    // ConfigError: plain HTTP elsewhere; no credentials.
    THROWS(dcams::ConfigError, dcams::Client("{\"environment\":false,\"endpoint\":\"http://example.com/x\"}"));
    {
        const dcams::Client anonymous("{\"environment\":false,\"endpoint\":\"" + g_url + "\"}");
        if (auto e = THROWS(dcams::ConfigError, anonymous.upsert(dcams::Customer(email, front))))
            CHECK(e->attempts() == 0u);
    }
    // FileError.
    if (auto e = THROWS(dcams::FileError, client.upsert(dcams::Customer(email, data_path("no-such-file.jpg")))))
        CHECK(std::string(e->what()).find("no-such-file.jpg") != std::string::npos);

    // The service's answers, scripted where the client's validation would prevent them.
    struct Scripted {
        const char *answer;
        std::function<void()> expect;
    };
    const auto get = [&] { (void)client.get_status(email); };
    const std::vector<Scripted> scripted = {
        {"{\"status\":400,\"body\":\"{\\\"result\\\":\\\"Error\\\",\\\"message\\\":"
         "\\\"Missing a required input\\\"}\"}",
         [&] {
             if (auto e = THROWS(dcams::BadRequestError, get()))
                 CHECK(e->http_status() == 400 && e->service_message() == "Missing a required input");
         }},
        {"{\"status\":403,\"body\":\"{\\\"result\\\":\\\"Error\\\",\\\"message\\\":\\\"User is not active\\\"}\"}",
         [&] {
             if (auto e = THROWS(dcams::ForbiddenError, get()))
                 CHECK(e->http_status() == 403 && e->service_message() == "User is not active");
         }},
        {"{\"status\":413,\"content_type\":\"text/html\",\"body\":\"<html>Too Large</html>\"}",
         [&] {
             if (auto e = THROWS(dcams::PayloadTooLargeError, get()))
                 CHECK(e->http_status() == 413 && e->detail().find("text/html") != std::string::npos);
         }},
        {"{\"status\":429,\"body\":\"\"}",
         [&] {
             if (auto e = THROWS(dcams::RateLimitedError, get()))
                 CHECK(e->retryable() && e->http_status() == 429);
         }},
        {"{\"status\":503,\"body\":\"<html>busy</html>\",\"content_type\":\"text/html\"}",
         [&] {
             if (auto e = THROWS(dcams::ServerError, get()))
                 CHECK(e->retryable() && e->http_status() == 503 && e->attempts() == 1u);
         }},
        {"{\"status\":418,\"body\":\"{}\"}",
         [&] {
             if (auto e = THROWS(dcams::ServiceError, get()))
                 CHECK(e->code() == DCAMS_ERR_HTTP && e->http_status() == 418);
         }},
        {"{\"status\":200,\"body\":\"{\\\"result\\\":\\\"Error\\\",\\\"message\\\":\\\"nope\\\"}\"}",
         [&] {
             if (auto e = THROWS(dcams::ServiceError, get()))
                 CHECK(e->code() == DCAMS_ERR_SERVICE_ERROR && e->service_message() == "nope");
         }},
        {"{\"status\":200,\"body\":\"<html>hi</html>\",\"content_type\":\"text/html\"}",
         [&] { THROWS(dcams::BadResponseError, get()); }},
        {"{\"status\":302,\"body\":\"\"}", [&] {
             if (auto e = THROWS(dcams::RedirectError, get()))
                 CHECK(e->http_status() == 302);
         }},
    };
    for (const Scripted &s : scripted) {
        if (CHECK_CTX(script(s.answer), s.answer))
            s.expect();
    }
    // Retried 503s: the attempts are counted.
    {
        const dcams::Client retrying(config_json(g_url, ",\"retries\":2,\"retry_backoff_ms\":5"));
        CHECK(script("{\"status\":503,\"body\":\"\",\"times\":3}"));
        if (auto e = THROWS(dcams::ServerError, retrying.get_status(email)))
            CHECK(e->attempts() == 3u);
    }
    // UnauthorizedError, also caught as AuthError; the password never in it.
    {
        const dcams::Client wrong(config_json(g_url, "", "wrong-cpp-pass"));
        if (auto e = THROWS(dcams::UnauthorizedError, wrong.get_status(email))) {
            CHECK(e->http_status() == 401);
            CHECK(e->service_message() == "Either your username or password is incorrect");
            CHECK(e->json().find("wrong-cpp-pass") == std::string::npos);
        }
        bool caught = false;
        try {
            wrong.upsert(dcams::Customer(email, front));
        } catch (const dcams::AuthError &e) {
            caught = e.code() == DCAMS_ERR_UNAUTHORIZED;
        }
        CHECK(caught);
    }
    // NotFoundError, caught as ServiceError and as std::runtime_error.
    if (auto e = THROWS(dcams::NotFoundError, client.get_document_images("nobody@example.com")))
        CHECK(e->service_message() == "The email address was not found");
    try {
        client.update_status("nobody@example.com", dcams::Status::Pass);
        CHECK(false);
    } catch (const std::runtime_error &e) {
        CHECK(std::string(e.what()) == "HTTP 404: The email address was not found");
    }
    // TransportError: nothing listens on port 1.
    {
        const dcams::Client nowhere(config_json("http://127.0.0.1:1/v3/stable/api/storage", ",\"retries\":0"));
        if (auto e = THROWS(dcams::TransportError, nowhere.get_status(email)))
            CHECK(e->retryable() && e->http_status() == 0);
    }
    // TlsError: TLS to the sandbox's plain-HTTP port.
    {
        const std::string https = "https://" + g_url.substr(std::strlen("http://"));
        const dcams::Client tls(config_json(https, ",\"retries\":0"));
        THROWS(dcams::TlsError, tls.get_status(email));
    }
    // TimeoutError: see test_call; here caught as TransportError.
    if (CHECK_CTX(!g_slow_url.empty(), "run with --slow-url")) {
        const dcams::Client hasty(config_json(g_slow_url, ",\"retries\":0,\"timeout_ms\":200"));
        bool caught = false;
        try {
            hasty.get_status(email);
        } catch (const dcams::TransportError &e) {
            caught = dynamic_cast<const dcams::TimeoutError *>(&e) != nullptr;
        }
        CHECK(caught);
    }
}

// Configured without JSON, with a password holding `"`, `\` and `é`.
static void test_quoted_password() {
    section("Config: a password with a quote, a backslash and an e-acute");
    if (!CHECK_CTX(!g_quoted_url.empty(), "run with --quoted-url"))
        return;
    const std::string base = g_quoted_url.substr(0, g_quoted_url.size() - std::strlen(kStorageSuffix));
    dcams::Config config;
    config.environment(false).endpoint(g_quoted_url).user(kUser).pass(kQuotedPass).retries(0);
    const dcams::Client client(config);
    config.pass("c++\"pa\\ss"); // cut before the e-acute: the control
    const dcams::Client wrong(config);
    const long before = requests(base);
    dcams::Customer zoe("cpp-quoted@example.com", data_path("passport-td3.jpg"));
    const dcams::UpsertResult r = client.upsert(zoe.fn("Zo\xc3\xab"));
    CHECK(r.created() && r.attributes().fn == std::optional<std::string>("Zo\xc3\xab"));
    CHECK(requests(base) == before + 1);
    THROWS(dcams::UnauthorizedError, wrong.get_status("cpp-quoted@example.com"));
}

// 8 threads share one client.
static void test_threads(int threads, int iterations) {
    section("threads sharing one client");
    const dcams::Client client(config_json(g_url));
    const auto front = read_bytes(data_path("passport-td3.jpg"));
    std::atomic<int> created{0}, rejected{0}, statuses{0};
    const long before = requests();
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; t++) {
        workers.emplace_back([&, t] {
            for (int i = 0; i < iterations; i++) {
                const std::string email = "cpp-thread" + std::to_string(t) + "-" + std::to_string(i) + "@example.com";
                dcams::Customer c(email, front);
                c.fn("Thread");
                if (i % 5 == 2) {
                    c.dob("19900231");
                    try {
                        client.upsert(c);
                    } catch (const dcams::ValidationError &e) {
                        if (CHECK(e.field() == "dob"))
                            ++rejected;
                    }
                    continue;
                }
                const dcams::UpsertResult r = client.upsert(c);
                if (CHECK(r.created() && r.attributes().email == email))
                    ++created;
                if (CHECK(client.get_status(email).status() == dcams::Status::Pending))
                    ++statuses;
            }
        });
    }
    for (std::thread &w : workers)
        w.join();
    int want_rejected = 0;
    for (int i = 0; i < iterations; i++)
        want_rejected += i % 5 == 2;
    const int want_created = threads * (iterations - want_rejected);
    std::cout << "   " << threads << " threads x " << iterations << " upserts: " << created << " created, "
              << rejected << " rejected" << std::endl;
    CHECK(created == want_created && statuses == want_created);
    CHECK(rejected == threads * want_rejected);
    CHECK(requests() == before + 2 * want_created);
}

int main(int argc, char **argv) {
    bool quick = false;
    if (argc == 2 && std::strcmp(argv[1], "--print-quoted-pass") == 0) {
        std::cout << kQuotedPass;
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--quick")
            quick = true;
        else if (a == "--url" && has_value)
            g_url = argv[++i];
        else if (a == "--data" && has_value)
            g_data = argv[++i];
        else if (a == "--quoted-url" && has_value)
            g_quoted_url = argv[++i];
        else if (a == "--slow-url" && has_value)
            g_slow_url = argv[++i];
        else {
            std::cerr << "usage: test_dcams_cpp --url URL --data DIR --quoted-url URL --slow-url URL [--quick]\n";
            return 2;
        }
    }
    const std::size_t suffix = std::strlen(kStorageSuffix);
    if (g_url.size() <= suffix || g_url.compare(g_url.size() - suffix, suffix, kStorageSuffix) != 0 ||
        g_data.empty()) {
        std::cerr << "test_dcams_cpp: --url (a sandbox storage URL) and --data are required\n";
        return 2;
    }
    g_base = g_url.substr(0, g_url.size() - suffix);
    // Every test starts from empty sandboxes (each test build runs against the same ones).
    for (const std::string *url : {&g_url, &g_quoted_url, &g_slow_url}) {
        if (url->empty())
            continue;
        const std::string base = url->substr(0, url->size() - suffix);
        if (admin("POST", "/_sandbox/reset", nullptr, base).status != 200) {
            std::cerr << "test_dcams_cpp: the sandbox at " << base << " does not answer\n";
            return 2;
        }
    }
    std::cout << "dcams.hpp with libdcams " << dcams::version() << ", C++ " << __cplusplus << std::endl;
    test_error_mapping();
    test_config_and_moves();
    test_services();
    test_call();
    test_exceptions();
    test_quoted_password();
    test_threads(8, quick ? 3 : 25); // under Valgrind: 8 threads, fewer calls each
    std::cout << g_passed << " passed, " << g_failed << " failed" << std::endl;
    return g_failed == 0 ? 0 : 1;
}
