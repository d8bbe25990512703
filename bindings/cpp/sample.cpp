// sample.cpp — a first C++ program with dcams.hpp: create a customer with a
// document image, read the review status back, and catch a wrong password.
//
//   dcams_sample [FRONT_IMAGE]      (default tests/data/passport-td3.jpg)
//
// Endpoint and credentials come from DCAMS_ENDPOINT, DCAMS_USER and
// DCAMS_PASS. Build it from an installed libdcams with CMake (CMakeLists.txt
// here: find_package(dcams), target dcams::dcams); try it against a sandbox
// with scripts/with-sandbox.sh -- ./dcams_sample.
#include "dcams.hpp"

#include <iostream>

int main(int argc, char **argv) {
    const char *front = argc > 1 ? argv[1] : "tests/data/passport-td3.jpg";
    const char *email = "ada.cpp@example.com";
    try {
        const dcams::Client client = dcams::Client::from_environment();
        dcams::Customer ada(email, front); // a path; bytes (std::vector<std::uint8_t>, ...) work too
        ada.fn("Ada").ln("Example").dob("19800214");
        const dcams::UpsertResult created = client.upsert(ada);
        std::cout << created.type() << ' ' << created.status_text() << '\n'; // createCustomer PENDING

        const dcams::Result status = client.get_status(email);
        std::cout << "status " << status.status_text() << ", first name " << status.attributes().fn.value_or("-")
                  << '\n';
    } catch (const dcams::Error &e) {
        std::cerr << e.name() << ": " << e.what() << '\n';
        return 2;
    }

    // The same settings with another password, configured without JSON.
    try {
        dcams::Config config; // starts from the environment and the defaults
        config.pass("not-the-password");
        const dcams::Client wrong(config);
        wrong.get_status(email);
        std::cerr << "a wrong password was accepted\n";
        return 1;
    } catch (const dcams::AuthError &e) { // UnauthorizedError (401) or ForbiddenError (403)
        std::cout << "wrong password: " << e.http_status() << ' ' << e.service_message() << '\n';
    } catch (const dcams::Error &e) {
        std::cerr << e.name() << ": " << e.what() << '\n';
        return 2;
    }
    return 0;
}
