/*
 * dcams.hpp — C++17 interface to libdcams, header-only over the C API in
 * dcams.h (which stays the only ABI: this file adds no exported symbol).
 *
 *   #include "dcams.hpp"
 *
 *   dcams::Client client = dcams::Client::from_environment();  // DCAMS_ENDPOINT, _USER, _PASS
 *   dcams::Customer ada("ada@example.com", std::filesystem::path("front.jpg"));
 *   ada.fn("Ada").ln("Example").dob("19800214");
 *   try {
 *       dcams::UpsertResult r = client.upsert(ada);
 *       std::cout << r.type() << ' ' << r.status_text() << '\n';   // createCustomer PENDING
 *   } catch (const dcams::AuthError &e) {                       // 401/403: wrong password, ...
 *       std::cerr << e.http_status() << ' ' << e.service_message() << '\n';
 *   } catch (const dcams::Error &e) {                           // anything else
 *       std::cerr << e.name() << ": " << e.what() << '\n';
 *   }
 *
 * What maps to what:
 *   dcams::Client   RAII over dcams_client (move-only), made from the
 *                   environment, a JSON configuration or a dcams::Config;
 *                   one method per service, each returning a typed result
 *                   or throwing a dcams::Error.
 *   dcams::Config   RAII over dcams_config: the same members as the JSON
 *                   configuration, set by name; no JSON, no escaping.
 *   dcams::Call     RAII over dcams_call: one call's own deadline, and what
 *                   the call did (CallMeta) — success or failure.
 *   dcams::Customer the createOrUpdateCustomer input, built from
 *                   std::string_view, std::filesystem::path and byte views.
 *   dcams::*Result  the reply's typed members (type, status, reference,
 *                   customer link, attributes) plus the reply JSON itself;
 *                   any other member through string_at/int_at/bool_at.
 *   dcams::Error    std::runtime_error carrying the error JSON's members;
 *                   one subclass per class of failure (table at Error).
 *
 * Ownership: everything returned is owned by the returned object (strings
 * copied into std::string; ImagesResult owns the decoded images). Inputs are
 * borrowed for the call only: a ByteView passed to a Customer must stay
 * valid until the call that uses the Customer has returned.
 *
 * Thread safety, as in C: a Client may be used by any number of threads at
 * the same time (every method is const and only reads it); destroying or
 * moving it must not race with a call on it. A Config may be read by any
 * thread but is not for concurrent setters-and-use. A Call must not be
 * passed to two calls running at the same time; meta() may be read from any
 * thread. Results and errors are immutable values.
 *
 * Accessors are noexcept. Service methods throw dcams::Error (and
 * std::bad_alloc); nothing in this file calls std::abort or terminates.
 * Compiles warning-free with -std=c++17 and -std=c++20 -Wall -Wextra
 * -pedantic.
 */
#ifndef DCAMS_HPP
#define DCAMS_HPP

#include "dcams.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace dcams {

/* ---- errors -------------------------------------------------------------- */

/**
 * A failed call: the code, and every member of libdcams' error JSON
 * ({"code","name","message","field","http_status","service_message",
 * "service_code","detail","retryable","attempts"}). what() is the message.
 * Copying never throws (the members are shared).
 *
 * The subclass thrown says the class of failure:
 *
 *   code      thrown                  base
 *   1-4, 8, 9 InvalidArgumentError    Error       (NULL, bad UTF-8, bad JSON, ...)
 *   5         ValidationError         Error       field() names the field
 *   6         ConfigError             Error
 *   7         FileError               Error
 *   20        BadRequestError         ServiceError
 *   21        UnauthorizedError       AuthError : ServiceError
 *   22        ForbiddenError          AuthError : ServiceError
 *   23        NotFoundError           ServiceError
 *   24        PayloadTooLargeError    ServiceError
 *   25        RateLimitedError        ServiceError   retryable
 *   26        ServerError             ServiceError   retryable
 *   27, 29    ServiceError            Error
 *   40        TransportError          Error          retryable
 *   41        TlsError                TransportError
 *   42        TimeoutError            TransportError retryable
 *   43        BadResponseError        TransportError
 *   44        RedirectError           TransportError
 *   45        TransportError          Error          (cancelled; no class of its own yet)
 *   99        InternalError           Error          (a bug in libdcams)
 *
 * An unknown code is thrown as the base of its range (1-19
 * InvalidArgumentError, 20-39 ServiceError, 40-59 TransportError, else
 * Error), so a newer library's codes are still caught sensibly.
 */
class Error : public std::runtime_error {
public:
    /** From a code and its error JSON (as libdcams wrote it). */
    Error(dcams_code code, std::string_view error_json) : Error(parse(code, error_json)) {}

    /** The code, e.g. DCAMS_ERR_NOT_FOUND. */
    dcams_code code() const noexcept { return data_->code; }
    /** The code's name, e.g. "DCAMS_ERR_NOT_FOUND" (static string). */
    const char *name() const noexcept { return dcams_code_name(data_->code); }
    /** The HTTP status of the service's answer; 0 if none arrived. */
    int http_status() const noexcept { return data_->http_status; }
    /** The service's own message (e.g. "The email address was not found"); "" if none. */
    const std::string &service_message() const noexcept { return data_->service_message; }
    /** The service's error code (e.g. "AUTH0" in the platform style); "" if none. */
    const std::string &service_code() const noexcept { return data_->service_code; }
    /** The input field that failed validation (e.g. "dob"); "" if none. */
    const std::string &field() const noexcept { return data_->field; }
    /** What came back, for answers that are not what the spec promises; "" if none. */
    const std::string &detail() const noexcept { return data_->detail; }
    /** Whether repeating the call later may succeed (429, 5xx, connection, timeout). */
    bool retryable() const noexcept { return data_->retryable; }
    /** HTTP attempts made (0: failed before any traffic). */
    std::uint32_t attempts() const noexcept { return data_->attempts; }
    /** The error JSON, verbatim. */
    const std::string &json() const noexcept { return data_->json; }

private:
    struct Data {
        dcams_code code = DCAMS_ERR_INTERNAL;
        int http_status = 0;
        bool retryable = false;
        std::uint32_t attempts = 0;
        std::string message, field, service_message, service_code, detail, json;
    };
    explicit Error(std::shared_ptr<const Data> data) : std::runtime_error(data->message), data_(std::move(data)) {}

    static std::string member(const std::string &json, const char *pointer) {
        char *value = nullptr;
        std::string text;
        if (dcams_json_get_string(json.c_str(), pointer, &value, nullptr) == DCAMS_OK && value != nullptr)
            text = value;
        dcams_string_free(value);
        return text;
    }

    static std::shared_ptr<const Data> parse(dcams_code code, std::string_view error_json) {
        auto data = std::make_shared<Data>();
        std::int64_t n = 0;
        std::int32_t b = 0;
        data->code = code;
        data->json = std::string(error_json);
        const std::string &json = data->json;
        data->message = member(json, "/message");
        if (data->message.empty())
            data->message = dcams_code_name(code);
        data->field = member(json, "/field");
        data->service_message = member(json, "/service_message");
        data->service_code = member(json, "/service_code");
        data->detail = member(json, "/detail");
        if (dcams_json_get_int64(json.c_str(), "/http_status", &n, nullptr) == DCAMS_OK)
            data->http_status = static_cast<int>(n);
        if (dcams_json_get_int64(json.c_str(), "/attempts", &n, nullptr) == DCAMS_OK && n >= 0)
            data->attempts = static_cast<std::uint32_t>(n);
        if (dcams_json_get_bool(json.c_str(), "/retryable", &b, nullptr) == DCAMS_OK)
            data->retryable = b != 0;
        return data;
    }

    std::shared_ptr<const Data> data_;
};

/** Codes 1-4, 8, 9: a NULL or unusable argument, bad UTF-8 or bad JSON (also
 * a call on a moved-from Client). */
class InvalidArgumentError : public Error {
public:
    using Error::Error;
};
/** Code 5: the input failed validation before anything was sent; field() names it. */
class ValidationError : public Error {
public:
    using Error::Error;
};
/** Code 6: unusable configuration (bad endpoint, plain HTTP elsewhere, no credentials). */
class ConfigError : public Error {
public:
    using Error::Error;
};
/** Code 7: an image file could not be read or written. */
class FileError : public Error {
public:
    using Error::Error;
};
/** Codes 20-39: the service answered with an error (http_status(), service_message()). */
class ServiceError : public Error {
public:
    using Error::Error;
};
/** Code 20: HTTP 400. */
class BadRequestError : public ServiceError {
public:
    using ServiceError::ServiceError;
};
/** Codes 21, 22: the credentials or the test key were refused. */
class AuthError : public ServiceError {
public:
    using ServiceError::ServiceError;
};
/** Code 21: HTTP 401 (wrong user, password or test key). */
class UnauthorizedError : public AuthError {
public:
    using AuthError::AuthError;
};
/** Code 22: HTTP 403 (user not active / not allowed). */
class ForbiddenError : public AuthError {
public:
    using AuthError::AuthError;
};
/** Code 23: HTTP 404 (no customer with that e-mail). */
class NotFoundError : public ServiceError {
public:
    using ServiceError::ServiceError;
};
/** Code 24: HTTP 413. */
class PayloadTooLargeError : public ServiceError {
public:
    using ServiceError::ServiceError;
};
/** Code 25: HTTP 429 (retryable). */
class RateLimitedError : public ServiceError {
public:
    using ServiceError::ServiceError;
};
/** Code 26: HTTP 5xx (retryable). */
class ServerError : public ServiceError {
public:
    using ServiceError::ServiceError;
};
/** Codes 40-59: the connection failed, or the response was unusable. */
class TransportError : public Error {
public:
    using Error::Error;
};
/** Code 41: TLS handshake or certificate verification failed. */
class TlsError : public TransportError {
public:
    using TransportError::TransportError;
};
/** Code 42: a timeout expired; what() names the phase (retryable). */
class TimeoutError : public TransportError {
public:
    using TransportError::TransportError;
};
/** Code 43: the response could not be understood (not JSON, truncated, too large). */
class BadResponseError : public TransportError {
public:
    using TransportError::TransportError;
};
/** Code 44: the service answered with a redirect (never followed). */
class RedirectError : public TransportError {
public:
    using TransportError::TransportError;
};
/** Code 99: a bug in libdcams (a caught panic). Please report it. */
class InternalError : public Error {
public:
    using Error::Error;
};

/**
 * Throws the dcams::Error subclass for `code` (see the table at Error),
 * built from `error_json` (NULL: only the code is known). For programs that
 * also call the C API directly. `code` must not be DCAMS_OK.
 */
[[noreturn]] inline void throw_error(dcams_code code, const char *error_json) {
    const std::string_view json = error_json != nullptr ? std::string_view(error_json) : std::string_view("{}");
    switch (code) {
    case DCAMS_ERR_NULL_ARGUMENT:
    case DCAMS_ERR_INVALID_ARGUMENT:
    case DCAMS_ERR_INVALID_UTF8:
    case DCAMS_ERR_INVALID_JSON:
    case DCAMS_ERR_NOT_PRESENT:
    case DCAMS_ERR_WRONG_TYPE:
        throw InvalidArgumentError(code, json);
    case DCAMS_ERR_VALIDATION:
        throw ValidationError(code, json);
    case DCAMS_ERR_CONFIG:
        throw ConfigError(code, json);
    case DCAMS_ERR_FILE:
        throw FileError(code, json);
    case DCAMS_ERR_BAD_REQUEST:
        throw BadRequestError(code, json);
    case DCAMS_ERR_UNAUTHORIZED:
        throw UnauthorizedError(code, json);
    case DCAMS_ERR_FORBIDDEN:
        throw ForbiddenError(code, json);
    case DCAMS_ERR_NOT_FOUND:
        throw NotFoundError(code, json);
    case DCAMS_ERR_PAYLOAD_TOO_LARGE:
        throw PayloadTooLargeError(code, json);
    case DCAMS_ERR_RATE_LIMITED:
        throw RateLimitedError(code, json);
    case DCAMS_ERR_SERVER_ERROR:
        throw ServerError(code, json);
    case DCAMS_ERR_SERVICE_ERROR:
    case DCAMS_ERR_HTTP:
        throw ServiceError(code, json);
    case DCAMS_ERR_TRANSPORT:
        throw TransportError(code, json);
    case DCAMS_ERR_TLS:
        throw TlsError(code, json);
    case DCAMS_ERR_TIMEOUT:
        throw TimeoutError(code, json);
    case DCAMS_ERR_BAD_RESPONSE:
        throw BadResponseError(code, json);
    case DCAMS_ERR_REDIRECT:
        throw RedirectError(code, json);
    case DCAMS_ERR_CANCELLED: // no class of its own yet: the base of its range
        throw TransportError(code, json);
    case DCAMS_ERR_INTERNAL:
        throw InternalError(code, json);
    case DCAMS_OK:
        break;
    }
    const int n = static_cast<int>(code);
    if (n >= 1 && n <= 19)
        throw InvalidArgumentError(code, json);
    if (n >= 20 && n <= 39)
        throw ServiceError(code, json);
    if (n >= 40 && n <= 59)
        throw TransportError(code, json);
    throw Error(code, json);
}

namespace detail {

/** Frees a libdcams string. */
struct StringFree {
    void operator()(char *s) const noexcept { dcams_string_free(s); }
};
using OwnedString = std::unique_ptr<char, StringFree>;

/** Checks a C call's outcome: throws the error (freeing its JSON) unless DCAMS_OK. */
inline void check(dcams_code code, char *error) {
    OwnedString owned(error);
    if (code != DCAMS_OK)
        throw_error(code, owned.get());
}

/** Takes ownership of a result string and copies it into a std::string. */
inline std::string take(char *s) {
    OwnedString owned(s);
    return s != nullptr ? std::string(s) : std::string();
}

/** A getter of one JSON value: nullopt when absent, null or of another type. */
template <class T, class Get> std::optional<T> json_value(const std::string &json, std::string_view pointer, Get get) {
    const std::string p(pointer);
    T value{};
    char *error = nullptr;
    const dcams_code code = get(json.c_str(), p.c_str(), &value, &error);
    if (code == DCAMS_ERR_NOT_PRESENT || code == DCAMS_ERR_WRONG_TYPE) {
        dcams_string_free(error);
        return std::nullopt;
    }
    check(code, error);
    return value;
}

inline std::optional<std::string> json_string(const std::string &json, std::string_view pointer) {
    std::optional<char *> s = json_value<char *>(json, pointer, dcams_json_get_string);
    if (!s)
        return std::nullopt;
    return take(*s);
}

/** For the constructors of the results: "" when absent (the reply is libdcams' own JSON). */
inline std::string json_string_or_empty(const std::string &json, const char *pointer) {
    return json_string(json, pointer).value_or(std::string());
}

template <class T> struct is_string_like : std::false_type {};
template <class C, class Tr, class A> struct is_string_like<std::basic_string<C, Tr, A>> : std::true_type {};
template <class C, class Tr> struct is_string_like<std::basic_string_view<C, Tr>> : std::true_type {};

/** A contiguous container of one-byte elements (vector<uint8_t>, array<std::byte, N>,
 * std::span...), but not a string (strings are paths) nor a built-in array. */
template <class C, class = void> struct is_byte_container : std::false_type {};
template <class C>
struct is_byte_container<C, std::void_t<decltype(std::data(std::declval<const C &>())),
                                        decltype(std::size(std::declval<const C &>()))>>
    : std::bool_constant<
          !is_string_like<std::remove_cv_t<C>>::value && !std::is_array_v<C> &&
          std::is_pointer_v<decltype(std::data(std::declval<const C &>()))> &&
          sizeof(*std::data(std::declval<const C &>())) == 1 &&
          std::is_trivially_copyable_v<std::remove_pointer_t<decltype(std::data(std::declval<const C &>()))>>> {};

} // namespace detail

/* ---- values -------------------------------------------------------------- */

/**
 * A borrowed run of bytes (C++17 has no std::span): from a pointer and a
 * size, or from any contiguous container of one-byte elements
 * (std::vector<std::uint8_t>, std::array<std::byte, N>, std::span, ...).
 * Strings are not byte views (a string passed to a Customer is a path): use
 * ByteView(s.data(), s.size()) for bytes held in a string.
 */
class ByteView {
public:
    constexpr ByteView() noexcept = default;
    ByteView(const void *data, std::size_t size) noexcept
        : data_(static_cast<const std::uint8_t *>(data)), size_(size) {}
    template <class C, std::enable_if_t<detail::is_byte_container<C>::value, int> = 0>
    ByteView(const C &bytes) noexcept // NOLINT: implicit, like std::span
        : data_(reinterpret_cast<const std::uint8_t *>(std::data(bytes))), size_(std::size(bytes)) {}

    const std::uint8_t *data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const std::uint8_t *begin() const noexcept { return data_; }
    const std::uint8_t *end() const noexcept { return data_ + size_; }

private:
    const std::uint8_t *data_ = nullptr;
    std::size_t size_ = 0;
};

/** Review status (spec: `status`). */
enum class Status : std::int32_t {
    Pass = DCAMS_STATUS_PASS,
    Pending = DCAMS_STATUS_PENDING,
    Fail = DCAMS_STATUS_FAIL,
};

/** "PASS", "PENDING" or "FAIL" (static string). */
inline const char *to_string(Status status) noexcept {
    switch (status) {
    case Status::Pass:
        return "PASS";
    case Status::Pending:
        return "PENDING";
    case Status::Fail:
        return "FAIL";
    }
    return "";
}

/** The Status of a status text as the service writes it; nullopt for anything else. */
inline std::optional<Status> parse_status(std::string_view text) noexcept {
    for (Status s : {Status::Pass, Status::Pending, Status::Fail})
        if (text == to_string(s))
            return s;
    return std::nullopt;
}

/**
 * One document image: a file (read while sending) or bytes in memory
 * (borrowed: they must outlive the call), or none. Converts implicitly from
 * a path (std::filesystem::path, std::string, const char *) and from bytes
 * (ByteView or a byte container), so a Customer takes either directly.
 */
class Document {
public:
    /** No image. */
    Document() noexcept = default;
    /** The image file at `path` (any path the OS accepts). */
    Document(const std::filesystem::path &path) : kind_(Kind::Path), path_(path.string()) {} // NOLINT: implicit
    Document(const char *path) : Document(std::filesystem::path(path)) {}                 // NOLINT: implicit
    Document(const std::string &path) : Document(std::filesystem::path(path)) {}          // NOLINT: implicit
    Document(std::string_view path) : Document(std::filesystem::path(path)) {}            // NOLINT: implicit
    /** The image bytes at `bytes` (JPEG, PNG, ...; borrowed until the call returns). */
    Document(ByteView bytes) noexcept : kind_(Kind::Bytes), bytes_(bytes) {} // NOLINT: implicit
    /** The bytes of a container (std::vector<std::uint8_t>, std::array<std::byte, N>, ...; borrowed). */
    template <class C, std::enable_if_t<detail::is_byte_container<C>::value, int> = 0>
    Document(const C &bytes) noexcept : Document(ByteView(bytes)) {} // NOLINT: implicit

    bool empty() const noexcept { return kind_ == Kind::None; }
    bool is_path() const noexcept { return kind_ == Kind::Path; }
    /** The path given (native bytes), or "". */
    const std::string &path() const noexcept { return path_; }
    /** The bytes given, or an empty view. */
    ByteView bytes() const noexcept { return bytes_; }

    /** The C struct, pointing into this Document. */
    dcams_document to_c() const noexcept {
        dcams_document d{};
        d.struct_size = static_cast<std::uint32_t>(sizeof(dcams_document));
        if (kind_ == Kind::Path) {
            d.path = path_.c_str();
        } else if (kind_ == Kind::Bytes) {
            d.data = bytes_.data();
            d.len = bytes_.size();
        }
        return d;
    }

private:
    enum class Kind { None, Path, Bytes };
    Kind kind_ = Kind::None;
    std::string path_;
    ByteView bytes_;
};

/**
 * A customer for Client::upsert (spec: createOrUpdateCustomer, `target`):
 * the e-mail and the front image are required, every other member optional
 * (not sent when not set). The setters return *this for chaining; strings
 * are copied.
 *
 *   dcams::Customer c("ada@example.com", std::filesystem::path("front.jpg"));
 *   c.back(image_bytes).fn("Ada").ln("Example").dob("19800214");
 */
class Customer {
public:
    Customer(std::string_view email, Document front) : email_(email), front_(std::move(front)) {}

    Customer &fn(std::string_view v) { return set(fn_, v); }
    Customer &ln(std::string_view v) { return set(ln_, v); }
    Customer &addr(std::string_view v) { return set(addr_, v); }
    Customer &city(std::string_view v) { return set(city_, v); }
    Customer &state(std::string_view v) { return set(state_, v); }
    Customer &zip(std::string_view v) { return set(zip_, v); }
    /** Date of birth, YYYYMMDD. */
    Customer &dob(std::string_view v) { return set(dob_, v); }
    Customer &phone(std::string_view v) { return set(phone_, v); }
    /** The caller's reference (top-level `reference`). */
    Customer &reference(std::string_view v) { return set(reference_, v); }
    /** A test key for this call (`target.test_key`), overriding the client's. */
    Customer &test_key(std::string_view v) { return set(test_key_, v); }
    Customer &front(Document d) {
        front_ = std::move(d);
        return *this;
    }
    /** The back image; Document() for none. */
    Customer &back(Document d) {
        back_ = std::move(d);
        return *this;
    }

    const std::string &email() const noexcept { return email_; }
    const Document &front() const noexcept { return front_; }
    const Document &back() const noexcept { return back_; }

    /** The C structs, pointing into this Customer (valid while it is unchanged). */
    struct CView {
        dcams_customer customer;
        dcams_document front, back;
    };
    void to_c(CView &out) const noexcept {
        out.customer = dcams_customer{};
        out.customer.struct_size = static_cast<std::uint32_t>(sizeof(dcams_customer));
        out.customer.email = email_.c_str();
        out.customer.fn = ptr(fn_);
        out.customer.ln = ptr(ln_);
        out.customer.addr = ptr(addr_);
        out.customer.city = ptr(city_);
        out.customer.state = ptr(state_);
        out.customer.zip = ptr(zip_);
        out.customer.dob = ptr(dob_);
        out.customer.phone = ptr(phone_);
        out.customer.reference = ptr(reference_);
        out.customer.test_key = ptr(test_key_);
        out.front = front_.to_c();
        out.back = back_.to_c();
        out.customer.front = &out.front;
        out.customer.back = back_.empty() ? nullptr : &out.back;
    }

private:
    Customer &set(std::optional<std::string> &member, std::string_view v) {
        member = std::string(v);
        return *this;
    }
    static const char *ptr(const std::optional<std::string> &s) noexcept { return s ? s->c_str() : nullptr; }

    std::string email_;
    std::optional<std::string> fn_, ln_, addr_, city_, state_, zip_, dob_, phone_, reference_, test_key_;
    Document front_, back_;
};

/** The stored attributes in a reply's `target` (absent members: nullopt). */
struct Attributes {
    std::string email;
    std::optional<std::string> fn, ln, addr, city, state, zip, dob, phone;
};

/**
 * A service's reply: its typed members, read once with libdcams' JSON
 * getters, plus the reply JSON itself for anything else.
 */
class Result {
public:
    explicit Result(std::string json) : json_(std::move(json)) {
        result_ = detail::json_string_or_empty(json_, "/result");
        reference_ = detail::json_string_or_empty(json_, "/reference");
        status_text_ = detail::json_string_or_empty(json_, "/status");
        if (status_text_.empty()) // updateStatus answers with target.status
            status_text_ = detail::json_string_or_empty(json_, "/target/status");
        status_ = parse_status(status_text_);
        attributes_.email = detail::json_string_or_empty(json_, "/target/email");
        attributes_.fn = detail::json_string(json_, "/target/fn");
        attributes_.ln = detail::json_string(json_, "/target/ln");
        attributes_.addr = detail::json_string(json_, "/target/addr");
        attributes_.city = detail::json_string(json_, "/target/city");
        attributes_.state = detail::json_string(json_, "/target/state");
        attributes_.zip = detail::json_string(json_, "/target/zip");
        attributes_.dob = detail::json_string(json_, "/target/dob");
        attributes_.phone = detail::json_string(json_, "/target/phone");
    }

    /** The reply JSON, verbatim (for getDocumentImages: without the images). */
    const std::string &json() const noexcept { return json_; }
    /** `result`: "Success". */
    const std::string &result() const noexcept { return result_; }
    /** `reference`; "" if none. */
    const std::string &reference() const noexcept { return reference_; }
    /** The review status (`status`, or `target.status` for updateStatus); nullopt if none or unknown. */
    std::optional<Status> status() const noexcept { return status_; }
    /** The review status as sent (also a value this version does not know); "" if none. */
    const std::string &status_text() const noexcept { return status_text_; }
    /** The stored attributes (`target`). */
    const Attributes &attributes() const noexcept { return attributes_; }

    /** Any string of the reply by JSON pointer (e.g. "/target/fn"); nullopt if absent, null
     * or not a string. Throws InvalidArgumentError for a pointer that is not "" or "/...". */
    std::optional<std::string> string_at(std::string_view pointer) const { return detail::json_string(json_, pointer); }
    /** Any integer of the reply by JSON pointer; as string_at. */
    std::optional<std::int64_t> int_at(std::string_view pointer) const {
        return detail::json_value<std::int64_t>(json_, pointer, dcams_json_get_int64);
    }
    /** Any boolean of the reply by JSON pointer; as string_at. */
    std::optional<bool> bool_at(std::string_view pointer) const {
        std::optional<std::int32_t> b = detail::json_value<std::int32_t>(json_, pointer, dcams_json_get_bool);
        if (!b)
            return std::nullopt;
        return *b != 0;
    }

private:
    std::string json_, result_, reference_, status_text_;
    std::optional<Status> status_;
    Attributes attributes_;
};

/** The reply of createOrUpdateCustomer. */
class UpsertResult : public Result {
public:
    explicit UpsertResult(std::string json) : Result(std::move(json)) {
        type_ = detail::json_string_or_empty(this->json(), "/type");
        customer_link_ = detail::json_string_or_empty(this->json(), "/customer_link");
    }
    /** `type`: "createCustomer" or "updateCustomer". */
    const std::string &type() const noexcept { return type_; }
    /** Whether the record was created by this call (`type` is "createCustomer"). */
    bool created() const noexcept { return type_ == "createCustomer"; }
    /** `customer_link`: the record in the DCAMS web interface; "" if none. */
    const std::string &customer_link() const noexcept { return customer_link_; }

private:
    std::string type_, customer_link_;
};

/** The reply of getDocumentImages written to files (save_document_images):
 * the service's reply without the images, and their decoded sizes. */
class SavedImagesResult : public Result {
public:
    explicit SavedImagesResult(std::string json) : Result(std::move(json)) {
        front_bytes_ = int_at("/target/documents/front_bytes").value_or(0);
        back_bytes_ = int_at("/target/documents/back_bytes").value_or(0);
    }
    /** Decoded size of the front image, in bytes (0: none stored). */
    std::int64_t front_bytes() const noexcept { return front_bytes_; }
    /** Decoded size of the back image, in bytes (0: none stored). */
    std::int64_t back_bytes() const noexcept { return back_bytes_; }

private:
    std::int64_t front_bytes_ = 0, back_bytes_ = 0;
};

/** Frees dcams_images (for std::unique_ptr). */
struct ImagesFree {
    void operator()(dcams_images *images) const noexcept { dcams_images_free(images); }
};

/** The reply of getDocumentImages with the decoded images, owned by this
 * object (move-only; the views are valid while it lives). */
class ImagesResult : public SavedImagesResult {
public:
    ImagesResult(std::string json, std::unique_ptr<dcams_images, ImagesFree> images)
        : SavedImagesResult(std::move(json)), images_(std::move(images)) {
        const std::uint8_t *data = nullptr;
        std::size_t len = 0;
        if (dcams_images_front(images_.get(), &data, &len, nullptr) == DCAMS_OK)
            front_ = ByteView(data, len);
        if (dcams_images_back(images_.get(), &data, &len, nullptr) == DCAMS_OK)
            back_ = ByteView(data, len);
    }
    /** The front image (empty if none was stored). */
    ByteView front() const noexcept { return front_.value_or(ByteView()); }
    /** The back image; nullopt if none was stored. */
    const std::optional<ByteView> &back() const noexcept { return back_; }
    /** The C handle (owned by this object). */
    const dcams_images *get() const noexcept { return images_.get(); }

private:
    std::unique_ptr<dcams_images, ImagesFree> images_;
    std::optional<ByteView> front_, back_;
};

/* ---- per-call options and metadata --------------------------------------- */

/** What one call did (dcams_call_meta). */
struct CallMeta {
    /** The code the call returned (DCAMS_OK or the error's). */
    dcams_code code = DCAMS_OK;
    /** HTTP attempts made (0: failed before any traffic; >1: retried). */
    std::uint32_t attempts = 0;
    /** HTTP status of the last response; 0 if none arrived. */
    int http_status = 0;
    /** Wall time of the whole call, retry pauses included. */
    std::chrono::milliseconds elapsed{0};
    /** Size of the last request body sent, and of the last response body read, in bytes. */
    std::uint64_t request_bytes = 0, response_bytes = 0;
    /** Whether the last attempt reused a pooled connection; nullopt if not known. */
    std::optional<bool> connection_reused;
};

/**
 * RAII over dcams_call (move-only): pass its address to a service method to
 * give that call its own deadline (every attempt and retry pause included)
 * and to read what it did afterwards. Reusable for the next call; never for
 * two calls at the same time.
 */
class Call {
public:
    Call() {
        char *error = nullptr;
        const dcams_code code = dcams_call_new(&call_, &error);
        detail::check(code, error);
    }
    /** A call handle with its own deadline. */
    explicit Call(std::chrono::milliseconds deadline) : Call() { timeout(deadline); }
    Call(Call &&other) noexcept : call_(std::exchange(other.call_, nullptr)) {}
    Call &operator=(Call &&other) noexcept {
        if (this != &other) {
            dcams_call_free(call_);
            call_ = std::exchange(other.call_, nullptr);
        }
        return *this;
    }
    Call(const Call &) = delete;
    Call &operator=(const Call &) = delete;
    ~Call() { dcams_call_free(call_); }

    /** Sets this handle's deadline (> 0). Throws InvalidArgumentError for 0 or less. */
    Call &timeout(std::chrono::milliseconds timeout) {
        char *error = nullptr;
        const auto ms = timeout.count() > 0 ? static_cast<std::uint64_t>(timeout.count()) : 0;
        const dcams_code code = dcams_call_set_timeout_ms(call_, ms, &error);
        detail::check(code, error);
        return *this;
    }

    /** What the last call made with this handle did; nullopt before the first one. */
    std::optional<CallMeta> meta() const {
        dcams_call_meta m{};
        m.struct_size = static_cast<std::uint32_t>(sizeof m);
        char *error = nullptr;
        const dcams_code code = dcams_call_get_meta(call_, &m, &error);
        if (code == DCAMS_ERR_NOT_PRESENT) {
            dcams_string_free(error);
            return std::nullopt;
        }
        detail::check(code, error);
        CallMeta meta;
        meta.code = m.code;
        meta.attempts = m.attempts;
        meta.http_status = m.http_status;
        meta.elapsed = std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(m.elapsed_ms));
        meta.request_bytes = m.request_bytes;
        meta.response_bytes = m.response_bytes;
        if (m.connection_reused >= 0)
            meta.connection_reused = m.connection_reused != 0;
        return meta;
    }

    /** The C handle (still owned by this object). */
    dcams_call *get() const noexcept { return call_; }

private:
    dcams_call *call_ = nullptr;
};

/* ---- configuration ------------------------------------------------------- */

/**
 * RAII over dcams_config (move-only): a client configuration built member
 * by member, without JSON. The members are those of the JSON configuration
 * (see dcams_client_new in dcams.h); values are used as they are, so a
 * password with quotes, backslashes or non-ASCII needs no escaping. Until a
 * member is set, the environment (DCAMS_*, proxy variables) and the
 * defaults apply; environment(false) reads no environment variable at all.
 * The setters throw InvalidArgumentError for a value a member does not
 * take. Make any number of clients from one Config: Client(config).
 */
class Config {
public:
    Config() {
        char *error = nullptr;
        const dcams_code code = dcams_config_new(&config_, &error);
        detail::check(code, error);
    }
    Config(Config &&other) noexcept : config_(std::exchange(other.config_, nullptr)) {}
    Config &operator=(Config &&other) noexcept {
        if (this != &other) {
            dcams_config_free(config_);
            config_ = std::exchange(other.config_, nullptr);
        }
        return *this;
    }
    Config(const Config &) = delete;
    Config &operator=(const Config &) = delete;
    ~Config() { dcams_config_free(config_); }

    /** Sets a string member by name (dcams_config_set_string). */
    Config &set_string(std::string_view name, std::string_view value) {
        char *error = nullptr;
        const std::string n(name), v(value);
        const dcams_code code = dcams_config_set_string(config_, n.c_str(), v.c_str(), &error);
        detail::check(code, error);
        return *this;
    }
    /** Sets an integer member by name (dcams_config_set_int). */
    Config &set_int(std::string_view name, std::int64_t value) {
        char *error = nullptr;
        const std::string n(name);
        const dcams_code code = dcams_config_set_int(config_, n.c_str(), value, &error);
        detail::check(code, error);
        return *this;
    }
    /** Sets a boolean member by name (dcams_config_set_bool). */
    Config &set_bool(std::string_view name, bool value) {
        char *error = nullptr;
        const std::string n(name);
        const dcams_code code = dcams_config_set_bool(config_, n.c_str(), value ? 1 : 0, &error);
        detail::check(code, error);
        return *this;
    }

    /** false: read no environment variable at all (default true). */
    Config &environment(bool read) { return set_bool("environment", read); }
    /** The service URL (default https://dcams.app/v3/stable/api/storage). */
    Config &endpoint(std::string_view url) { return set_string("endpoint", url); }
    Config &user(std::string_view user) { return set_string("user", user); }
    Config &pass(std::string_view pass) { return set_string("pass", pass); }
    /** Sent as target.test_key. */
    Config &test_key(std::string_view key) { return set_string("test_key", key); }
    /** A PEM file of extra trusted CAs, added to the platform's. */
    Config &ca_file(const std::filesystem::path &pem) { return set_string("ca_file", pem.string()); }
    /** A PEM file of the only trusted CAs. */
    Config &ca_bundle(const std::filesystem::path &pem) { return set_string("ca_bundle", pem.string()); }
    /** "http://[user:pass@]host:port", always used. */
    Config &proxy(std::string_view url) { return set_string("proxy", url); }
    /** true: never a proxy, whatever the environment says. */
    Config &no_proxy(bool never) { return set_bool("no_proxy", never); }
    /** The whole call, retries included. */
    Config &timeout(std::chrono::milliseconds t) { return set_int("timeout_ms", t.count()); }
    /** TCP + TLS, per attempt. */
    Config &connect_timeout(std::chrono::milliseconds t) { return set_int("connect_timeout_ms", t.count()); }
    /** Sending the body, per attempt. */
    Config &send_timeout(std::chrono::milliseconds t) { return set_int("send_timeout_ms", t.count()); }
    /** Waiting for the response headers, then for its body, per attempt. */
    Config &response_timeout(std::chrono::milliseconds t) { return set_int("response_timeout_ms", t.count()); }
    /** Retries after connection failures and HTTP 429/502/503/504 (0 disables). */
    Config &retries(std::int64_t n) { return set_int("retries", n); }
    /** The first pause before a retry (doubled each time, with jitter). */
    Config &retry_backoff(std::chrono::milliseconds t) { return set_int("retry_backoff_ms", t.count()); }
    Config &max_response_bytes(std::int64_t n) { return set_int("max_response_bytes", n); }
    /** Connections kept for reuse. */
    Config &max_idle_connections(std::int64_t n) { return set_int("max_idle_connections", n); }
    /** false: send any non-empty document, image or not. */
    Config &check_image_format(bool check) { return set_bool("check_image_format", check); }
    /** true: allow http:// to a non-loopback host (credentials in clear!). */
    Config &danger_allow_plain_http(bool allow) { return set_bool("danger_allow_plain_http", allow); }

    /** The C handle (still owned by this object). */
    const dcams_config *get() const noexcept { return config_; }

private:
    dcams_config *config_ = nullptr;
};

/* ---- the client ---------------------------------------------------------- */

/**
 * RAII over dcams_client (move-only): configuration plus a pool of
 * connections. Every method is const and may run on any number of threads
 * at once. Each service method blocks until the answer (up to the client's
 * timeout, or the Call's), returns the typed reply, and throws the
 * dcams::Error subclass of the failure. `call` may be nullptr.
 *
 * A moved-from Client has no handle: its methods throw InvalidArgumentError.
 */
class Client {
public:
    /** From a JSON configuration (see dcams_client_new in dcams.h for the members). */
    explicit Client(std::string_view config_json) {
        char *error = nullptr;
        const std::string json(config_json);
        const dcams_code code = dcams_client_new(json.c_str(), &client_, &error);
        detail::check(code, error);
    }
    /** From a Config (which may be destroyed afterwards: the client does not keep it). */
    explicit Client(const Config &config) {
        char *error = nullptr;
        const dcams_code code = dcams_client_new_from_config(config.get(), &client_, &error);
        detail::check(code, error);
    }
    /** From the environment and the defaults only (DCAMS_ENDPOINT, DCAMS_USER, DCAMS_PASS, ...). */
    static Client from_environment() {
        dcams_client *client = nullptr;
        char *error = nullptr;
        const dcams_code code = dcams_client_new(nullptr, &client, &error);
        detail::check(code, error);
        return Client(client);
    }

    Client(Client &&other) noexcept : client_(std::exchange(other.client_, nullptr)) {}
    Client &operator=(Client &&other) noexcept {
        if (this != &other) {
            dcams_client_free(client_);
            client_ = std::exchange(other.client_, nullptr);
        }
        return *this;
    }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    /** Frees the client and wipes its credentials; no call may still be running on it. */
    ~Client() { dcams_client_free(client_); }

    /** createOrUpdateCustomer: validates `customer`, sends it with its images. */
    UpsertResult upsert(const Customer &customer, Call *call = nullptr) const {
        Customer::CView c;
        customer.to_c(c);
        char *result = nullptr, *error = nullptr;
        const dcams_code code = dcams_client_upsert(client_, &c.customer, handle(call), &result, &error);
        detail::check(code, error);
        return UpsertResult(detail::take(result));
    }

    /** getStatus: the review status and stored attributes (NotFoundError if none). */
    Result get_status(std::string_view email, Call *call = nullptr) const {
        char *result = nullptr, *error = nullptr;
        const std::string e(email);
        const dcams_code code = dcams_client_get_status(client_, e.c_str(), handle(call), &result, &error);
        detail::check(code, error);
        return Result(detail::take(result));
    }

    /** updateStatus: sets the review status; the reply carries it in target.status. */
    Result update_status(std::string_view email, Status status, Call *call = nullptr) const {
        char *result = nullptr, *error = nullptr;
        const std::string e(email);
        const dcams_code code = dcams_client_update_status(client_, e.c_str(), static_cast<std::int32_t>(status),
                                                           handle(call), &result, &error);
        detail::check(code, error);
        return Result(detail::take(result));
    }

    /** getDocumentImages: the stored images, decoded, plus status and attributes. */
    ImagesResult get_document_images(std::string_view email, Call *call = nullptr) const {
        dcams_images *images = nullptr;
        char *result = nullptr, *error = nullptr;
        const std::string e(email);
        const dcams_code code =
            dcams_client_get_document_images(client_, e.c_str(), handle(call), &images, &result, &error);
        detail::check(code, error);
        std::unique_ptr<dcams_images, ImagesFree> owned(images); // owned before anything can throw
        std::string json = detail::take(result);
        return ImagesResult(std::move(json), std::move(owned));
    }

    /** getDocumentImages into files: the front to `front_path`, the back (if
     * `back_path` is given) to `back_path` — removed if no back is stored. */
    SavedImagesResult save_document_images(std::string_view email, const std::filesystem::path &front_path,
                                           const std::optional<std::filesystem::path> &back_path = std::nullopt,
                                           Call *call = nullptr) const {
        const std::string e(email), front = front_path.string();
        const std::string back = back_path ? back_path->string() : std::string();
        char *result = nullptr, *error = nullptr;
        const dcams_code code = dcams_client_save_document_images(
            client_, e.c_str(), front.c_str(), back_path ? back.c_str() : nullptr, handle(call), &result, &error);
        detail::check(code, error);
        return SavedImagesResult(detail::take(result));
    }

    /** Any service, from the documented JSON request body (see dcams_client_call_json). */
    Result call_json(std::string_view request_json, Call *call = nullptr) const {
        char *result = nullptr, *error = nullptr;
        const std::string request(request_json);
        const dcams_code code = dcams_client_call_json(client_, request.c_str(), handle(call), &result, &error);
        detail::check(code, error);
        return Result(detail::take(result));
    }

    /** The C handle (still owned by this object); nullptr after a move. */
    const dcams_client *get() const noexcept { return client_; }

private:
    explicit Client(dcams_client *client) noexcept : client_(client) {}
    static dcams_call *handle(Call *call) noexcept { return call != nullptr ? call->get() : nullptr; }

    dcams_client *client_ = nullptr;
};

/** The library's version, e.g. "0.2.0" (DCAMS_VERSION is the header's). */
inline const char *version() noexcept { return dcams_version(); }

} // namespace dcams

#endif /* DCAMS_HPP */
