// wsgw-token: prints an HS256 token for a user, for development and testing.
//   wsgw-token --secret S --user u1 [--ttl 3600] [--claim sub] [--aud A] [--iss I]
// The secret may also come from WSGW_JWT_SECRET.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "wsgw/auth.hpp"
#include "wsgw/channel.hpp"

int main(int argc, char** argv) {
    std::string secret = std::getenv("WSGW_JWT_SECRET") ? std::getenv("WSGW_JWT_SECRET") : "";
    std::string user, claim = "sub", audience, issuer;
    long long ttl = 3600;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "wsgw-token: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--secret") secret = next();
        else if (a == "--user") user = next();
        else if (a == "--claim") claim = next();
        else if (a == "--ttl") ttl = std::atoll(next().c_str());
        else if (a == "--aud") audience = next();  // for a gateway with jwt_audience
        else if (a == "--iss") issuer = next();    // for a gateway with jwt_issuer
        else {
            std::cerr << "usage: wsgw-token [--secret S] --user ID [--ttl SECONDS] [--claim NAME] [--aud A] [--iss I]\n";
            return a == "--help" || a == "-h" ? 0 : 2;
        }
    }
    if (secret.empty() || !wsgw::is_valid_id(user)) {
        std::cerr << "wsgw-token: needs --secret (or WSGW_JWT_SECRET) and a --user of 1-64 [A-Za-z0-9_-]\n";
        return 2;
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json claims{{claim, user}, {"iat", now}, {"exp", now + ttl}};
    if (!audience.empty()) claims["aud"] = audience;
    if (!issuer.empty()) claims["iss"] = issuer;
    std::cout << wsgw::sign_hs256(claims.dump(), secret) << "\n";
    return 0;
}
