// S3 requests through libcurl. curl signs (CURLOPT_AWS_SIGV4); this file
// builds the requests, checks what the store answers, and retries with
// exponential back-off what a store or a network may fail transiently
// (connection errors, 5xx, 429, RequestTimeout).
#include "scribe/core/s3.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "scribe/core/error.hpp"
#include "scribe/core/fileio.hpp"
#include "scribe/core/digest.hpp"

namespace scribe::s3 {

namespace {

constexpr const char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr const char kSqlstateIoError[] = "58030";
constexpr const char kSqlstateCanceled[] = "57014";

std::string trim(std::string_view text) {
  std::size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) begin++;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) end--;
  return std::string(text.substr(begin, end - begin));
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// RFC 3986 percent-encoding as SigV4 wants it; '/' kept in keys.
std::string uri_encode(std::string_view text, bool keep_slash) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string base64(const unsigned char* data, std::size_t len) {
  std::string out(4 * ((len + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(len));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string hex_to_base64(const std::string& hex) {
  std::string raw;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return base64(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
}

std::string xml_unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); i++) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t semi = text.find(';', i);
    if (semi == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    const std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp")
      out += '&';
    else if (entity == "lt")
      out += '<';
    else if (entity == "gt")
      out += '>';
    else if (entity == "quot")
      out += '"';
    else if (entity == "apos")
      out += '\'';
    else if (!entity.empty() && entity[0] == '#') {
      const long code = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')
                            ? std::strtol(std::string(entity.substr(2)).c_str(), nullptr, 16)
                            : std::strtol(std::string(entity.substr(1)).c_str(), nullptr, 10);
      if (code > 0 && code < 128) out += static_cast<char>(code);
    } else {
      out += text.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

std::string strip_quotes(std::string text) {
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') return text.substr(1, text.size() - 2);
  return text;
}

// MD5 (for Content-MD5, which the store checks) and SHA-256 of a file range.
struct RangeDigests {
  std::string md5_base64;
  std::string sha256_hex;
};
RangeDigests digest_range(int fd, const std::string& path, std::uint64_t offset, std::uint64_t length) {
  EVP_MD_CTX* md5 = EVP_MD_CTX_new();
  if (md5 == nullptr || EVP_DigestInit_ex(md5, EVP_md5(), nullptr) != 1) {
    EVP_MD_CTX_free(md5);
    throw Error(sqlstate::kInternalError, "could not initialise MD5");
  }
  Sha256 sha;
  std::vector<char> buf(1 << 20);
  std::uint64_t done = 0;
  while (done < length) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length - done));
    const ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(offset + done));
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      EVP_MD_CTX_free(md5);
      throw_io_error("read", path, err);
    }
    EVP_DigestUpdate(md5, buf.data(), static_cast<std::size_t>(n));
    sha.update(buf.data(), static_cast<std::size_t>(n));
    done += static_cast<std::uint64_t>(n);
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_DigestFinal_ex(md5, digest, &digest_len);
  EVP_MD_CTX_free(md5);
  return {base64(digest, digest_len), sha.hex()};
}

std::string md5_base64_of(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(data.data(), data.size(), digest, &digest_len, EVP_md5(), nullptr);
  return base64(digest, digest_len);
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

}  // namespace

// ---------------------------------------------------------------- locations

std::string Location::key(std::string_view name) const {
  return prefix.empty() ? std::string(name) : prefix + "/" + std::string(name);
}

std::string Location::url() const { return "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix); }

bool is_s3_url(std::string_view text) { return text.rfind("s3://", 0) == 0; }

Location parse_s3_url(std::string_view text) {
  const std::string hint = "Write the repository as s3://bucket or s3://bucket/prefix.";
  if (!is_s3_url(text))
    throw Error(sqlstate::kInvalidParameterValue, "repository \"" + std::string(text) + "\" is not an s3:// URL", {},
                hint);
  std::string_view rest = text.substr(5);
  const std::size_t slash = rest.find('/');
  Location location;
  location.bucket = std::string(rest.substr(0, slash));
  std::string prefix = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  location.prefix = prefix;
  // Bucket names as S3 allows them (3-63 of a-z 0-9 . -): nothing that could
  // change the URL the requests go to.
  const bool bucket_ok = location.bucket.size() >= 3 && location.bucket.size() <= 63 &&
                         std::all_of(location.bucket.begin(), location.bucket.end(), [](char c) {
                           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
                         });
  if (!bucket_ok)
    throw Error(sqlstate::kInvalidParameterValue, "repository \"" + std::string(text) + "\" has no valid bucket name",
                "A bucket name has 3 to 63 characters among a-z, 0-9, '.' and '-'.", hint);
  if (prefix.find("//") != std::string::npos || (!prefix.empty() && prefix.front() == '/') ||
      std::any_of(prefix.begin(), prefix.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
    throw Error(sqlstate::kInvalidParameterValue, "repository \"" + std::string(text) + "\" has an invalid prefix",
                "The prefix may not contain empty path segments or control characters.", hint);
  return location;
}

std::vector<std::pair<std::string, std::string>> read_aws_profile(const std::string& text, const std::string& section) {
  std::vector<std::pair<std::string, std::string>> values;
  bool inside = false;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      inside = trim(std::string_view(line).substr(1, line.size() - 2)) == section;
      continue;
    }
    const std::size_t eq = line.find('=');
    if (inside && eq != std::string::npos)
      values.emplace_back(trim(std::string_view(line).substr(0, eq)), trim(std::string_view(line).substr(eq + 1)));
  }
  return values;
}

namespace {

// A setting the environment left empty, from the AWS CLI's files.
void fill_from_aws_files(Settings& settings, bool region_set, bool endpoint_set) {
  // Keys come as a pair: from the environment, or both from the file.
  const bool keys_set = !settings.access_key_id.empty() || !settings.secret_access_key.empty();
  const std::string home = env("HOME");
  std::string profile = env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  auto file_text = [](const std::string& path) -> std::string {
    if (path.empty() || !path_exists(path)) return {};
    try {
      return read_small_file(path, 1u << 20);
    } catch (const std::exception&) {
      return {};
    }
  };
  std::string credentials = env("AWS_SHARED_CREDENTIALS_FILE");
  if (credentials.empty() && !home.empty()) credentials = home + "/.aws/credentials";
  std::string config = env("AWS_CONFIG_FILE");
  if (config.empty() && !home.empty()) config = home + "/.aws/config";
  const std::string config_section = profile == "default" ? "default" : "profile " + profile;
  auto apply = [&](const std::vector<std::pair<std::string, std::string>>& values) {
    for (const auto& [key, value] : values) {
      if (key == "aws_access_key_id" && !keys_set)
        settings.access_key_id = value;
      else if (key == "aws_secret_access_key" && !keys_set)
        settings.secret_access_key = value;
      else if (key == "aws_session_token" && !keys_set)
        settings.session_token = value;
      else if (key == "region" && !region_set) {
        settings.region = value;
        region_set = true;
      } else if (key == "endpoint_url" && !endpoint_set) {
        settings.endpoint = value;
        endpoint_set = true;
      }
    }
  };
  apply(read_aws_profile(file_text(credentials), profile));
  apply(read_aws_profile(file_text(config), config_section));
}

}  // namespace

Settings settings_from_environment() {
  Settings settings;
  settings.endpoint = env("AWS_ENDPOINT_URL_S3");
  if (settings.endpoint.empty()) settings.endpoint = env("AWS_ENDPOINT_URL");
  std::string region = env("AWS_REGION");
  if (region.empty()) region = env("AWS_DEFAULT_REGION");
  if (!region.empty()) settings.region = region;
  settings.access_key_id = env("AWS_ACCESS_KEY_ID");
  settings.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  settings.session_token = env("AWS_SESSION_TOKEN");
  fill_from_aws_files(settings, !region.empty(), !settings.endpoint.empty());
  if (settings.endpoint.empty()) settings.endpoint = "https://s3." + settings.region + ".amazonaws.com";
  const std::string part_mb = env("SCRIBE_S3_PART_SIZE_MB");
  if (!part_mb.empty()) settings.part_size = std::max<std::uint64_t>(5, std::stoull(part_mb)) << 20;
  return settings;
}

// ---------------------------------------------------------------- XML answers

std::string xml_element(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const std::size_t begin = xml.find(open);
  if (begin == std::string_view::npos) return {};
  const std::size_t end = xml.find(close, begin + open.size());
  if (end == std::string_view::npos) return {};
  return xml_unescape(xml.substr(begin + open.size(), end - begin - open.size()));
}

ListPage parse_list_objects_v2(std::string_view xml) {
  ListPage page;
  std::size_t pos = 0;
  while ((pos = xml.find("<Contents>", pos)) != std::string_view::npos) {
    const std::size_t end = xml.find("</Contents>", pos);
    if (end == std::string_view::npos) throw Error(kSqlstateIoError, "the object store's list of objects is cut short");
    const std::string_view entry = xml.substr(pos, end - pos);
    ObjectInfo info;
    info.key = xml_element(entry, "Key");
    const std::string size = xml_element(entry, "Size");
    info.size = size.empty() ? 0 : std::stoull(size);
    info.etag = strip_quotes(xml_element(entry, "ETag"));
    page.objects.push_back(std::move(info));
    pos = end;
  }
  page.truncated = xml_element(xml, "IsTruncated") == "true";
  page.continuation_token = xml_element(xml, "NextContinuationToken");
  return page;
}

int backoff_delay_ms(const Settings& settings, int attempt) {
  double delay = settings.base_delay_ms;
  for (int i = 1; i < attempt && delay < settings.max_delay_ms; i++) delay *= 2;
  return static_cast<int>(std::min<double>(delay, settings.max_delay_ms));
}

// ---------------------------------------------------------------- requests

struct Client::Request {
  std::string method;  // GET HEAD PUT POST DELETE
  std::string key;     // for messages
  std::string url;
  std::vector<std::string> headers;
  std::string payload_sha256 = kEmptySha256;
  // Body: from memory, or a range of a file.
  std::string body;
  int fd = -1;
  std::uint64_t file_offset = 0;
  std::uint64_t file_length = 0;
  std::uint64_t sent = 0;
  // GET: the object's bytes go to sink; a retry resumes at range_start + delivered.
  const std::function<void(const char*, std::size_t)>* sink = nullptr;
  std::uint64_t range_start = 0;
  std::optional<std::uint64_t> range_length;
  std::uint64_t delivered = 0;
  std::exception_ptr sink_error;  // thrown by sink: held while curl unwinds, then rethrown
  std::size_t max_body = 1u << 20;
};

struct Client::Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string curl_error;  // non-empty: no HTTP answer
  bool body_too_large = false;
};

namespace {

struct Transfer {
  void* request;  // Client::Request, private: reached through these pointers only
  void* response;
  CURL* curl;
  const Settings* settings;
};

}  // namespace

Client::Client(Settings settings, Location location) : settings_(std::move(settings)), location_(std::move(location)) {
  global_init();
  while (!settings_.endpoint.empty() && settings_.endpoint.back() == '/') settings_.endpoint.pop_back();
  if (settings_.endpoint.rfind("http://", 0) != 0 && settings_.endpoint.rfind("https://", 0) != 0)
    throw Error(sqlstate::kInvalidParameterValue,
                "object store endpoint \"" + settings_.endpoint + "\" is not an http(s) URL", {},
                "Set the endpoint as http://host:port or https://host.");
  if (settings_.endpoint.find('@') != std::string::npos)
    throw Error(sqlstate::kInvalidParameterValue, "object store endpoint must not contain credentials", {},
                "Give the access key in its own setting.");
  if (settings_.access_key_id.empty() || settings_.secret_access_key.empty())
    throw Error(sqlstate::kInvalidParameterValue, "object store credentials are not set", {},
                "Set the access key id and the secret access key (scribe.s3_access_key_id and "
                "scribe.s3_secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).");
  if (settings_.part_size < (5u << 20)) settings_.part_size = 5u << 20;  // S3's smallest part
  curl_ = curl_easy_init();
  if (curl_ == nullptr) throw Error(sqlstate::kInternalError, "could not initialise libcurl");
}

Client::~Client() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string Client::describe() const { return location_.url() + " at " + settings_.endpoint; }

std::string Client::object_url(const std::string& key, const std::string& query) const {
  std::string url = settings_.endpoint + "/" + location_.bucket + "/" + uri_encode(key, true);
  if (!query.empty()) url += "?" + query;
  return url;
}

namespace {

template <typename Req, typename Resp>
struct Callbacks {
  static size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    auto* response = static_cast<Resp*>(t->response);
    const std::string_view line(data, size * count);
    const std::size_t colon = line.find(':');
    if (line.rfind("HTTP/", 0) == 0) response->headers.clear();  // a new answer (after 100 Continue)
    if (colon != std::string_view::npos)
      response->headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
    return size * count;
  }
  static size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    auto* request = static_cast<Req*>(t->request);
    auto* response = static_cast<Resp*>(t->response);
    const std::size_t n = size * count;
    long status = 0;
    curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
    if (request->sink != nullptr && status >= 200 && status < 300) {
      // No exception may cross libcurl's C frames.
      try {
        (*request->sink)(data, n);
      } catch (...) {
        request->sink_error = std::current_exception();
        return 0;
      }
      request->delivered += n;
      return n;
    }
    if (response->body.size() + n > request->max_body) {
      response->body_too_large = true;
      return 0;  // aborts the transfer
    }
    response->body.append(data, n);
    return n;
  }
  static size_t on_read(char* buffer, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    auto* request = static_cast<Req*>(t->request);
    const std::size_t room = size * count;
    if (request->fd >= 0) {
      const std::uint64_t left = request->file_length - request->sent;
      const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, room));
      if (want == 0) return 0;
      const ssize_t n = ::pread(request->fd, buffer, want, static_cast<off_t>(request->file_offset + request->sent));
      if (n <= 0) return CURL_READFUNC_ABORT;
      request->sent += static_cast<std::uint64_t>(n);
      return static_cast<size_t>(n);
    }
    const std::size_t want = std::min<std::size_t>(request->body.size() - request->sent, room);
    std::memcpy(buffer, request->body.data() + request->sent, want);
    request->sent += want;
    return want;
  }
  static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    return t->settings->interrupted && t->settings->interrupted() ? 1 : 0;
  }
};

}  // namespace

Client::Response Client::perform_once(Request& request) {
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);
  Response response;
  Transfer transfer{&request, &response, curl, &settings_};
  using CB = Callbacks<Request, Response>;
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // inside a server process: no SIGALRM
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, static_cast<long>(settings_.connect_timeout_s));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(settings_.stall_timeout_s));
  const std::string sigv4 = "aws:amz:" + settings_.region + ":s3";
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, settings_.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, settings_.secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &CB::on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CB::on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &CB::on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

  // S3 wants the payload's SHA-256 in x-amz-content-sha256; curl signs
  // that header's value as the payload hash.
  std::vector<std::string> headers = request.headers;
  headers.push_back("x-amz-content-sha256: " + request.payload_sha256);
  if (!settings_.session_token.empty()) headers.push_back("x-amz-security-token: " + settings_.session_token);
  headers.push_back("Expect:");  // no 100-continue round trip

  request.sent = 0;
  if (request.sink != nullptr) {
    const std::uint64_t from = request.range_start + request.delivered;
    std::string range = "Range: bytes=" + std::to_string(from) + "-";
    if (request.range_length) {
      if (*request.range_length <= request.delivered) return Response{200, {}, {}, {}, false};
      range += std::to_string(request.range_start + *request.range_length - 1);
    }
    if (from > 0 || request.range_length) headers.push_back(range);
  }
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);

  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &CB::on_read);
    curl_easy_setopt(curl, CURLOPT_READDATA, &transfer);
    const std::uint64_t size = request.fd >= 0 ? request.file_length : request.body.size();
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  requests_++;
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) {
    response.curl_error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    if (rc == CURLE_ABORTED_BY_CALLBACK) response.curl_error = "interrupted";
    response.status = 0;
    return response;
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Client::Response Client::perform(Request& request) {
  std::string last_problem;
  for (int attempt = 0; attempt < settings_.max_attempts; attempt++) {
    if (attempt > 0) {
      const int delay = backoff_delay_ms(settings_, attempt);
      for (int waited = 0; waited < delay; waited += 50) {
        if (settings_.interrupted && settings_.interrupted())
          throw Error(kSqlstateCanceled, "object store request canceled",
                      "While retrying " + request.method + " " + request.key + ": " + last_problem);
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50, delay - waited)));
      }
    }
    Response response = perform_once(request);
    if (request.sink_error) std::rethrow_exception(request.sink_error);
    if (response.curl_error == "interrupted" || (settings_.interrupted && settings_.interrupted()))
      throw Error(kSqlstateCanceled, "object store request canceled");
    if (response.body_too_large)
      throw Error(kSqlstateIoError, "object store answer to " + request.method + " " + request.key + " is too large");
    const std::string code = xml_element(response.body, "Code");
    const bool transient = !response.curl_error.empty() || response.status >= 500 || response.status == 429 ||
                           code == "RequestTimeout" || code == "SlowDown" || code == "InternalError";
    if (!transient) return response;
    last_problem = !response.curl_error.empty()
                       ? response.curl_error
                       : "HTTP " + std::to_string(response.status) + (code.empty() ? "" : " " + code);
  }
  throw Error(kSqlstateIoError, "object store " + describe() + " did not answer " + request.method + " " + request.key,
              "After " + std::to_string(settings_.max_attempts) + " attempts; the last: " + last_problem,
              "Check that the endpoint is reachable; the upload is tried again later.");
}

namespace {

[[noreturn]] void throw_refused(const std::string& where, const std::string& what, long status,
                                const std::string& body) {
  const std::string code = xml_element(body, "Code");
  const std::string message = xml_element(body, "Message");
  std::string hint;
  if (status == 403 || code == "AccessDenied" || code == "SignatureDoesNotMatch" || code == "InvalidAccessKeyId")
    hint = "Check the access key, the secret key and the region, and that the policy allows this request.";
  else if (code == "NoSuchBucket")
    hint = "Create the bucket, or correct the repository URL.";
  else if (code == "BadDigest" || code == "InvalidDigest" || code == "XAmzContentSHA256Mismatch")
    hint = "The bytes changed on the way; the upload is tried again.";
  // 404: the object is not there, as ENOENT is for a file (58P01, undefined_file).
  throw Error(
      status == 404 ? "58P01" : kSqlstateIoError, "object store " + where + " refused " + what,
      "HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code) + (message.empty() ? "" : ": " + message),
      hint);
}

}  // namespace

std::optional<ObjectInfo> Client::head(const std::string& key) {
  Request request;
  request.method = "HEAD";
  request.key = key;
  request.url = object_url(key, "");
  Response response = perform(request);
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) throw_refused(describe(), "HEAD " + key, response.status, response.body);
  ObjectInfo info;
  info.key = key;
  info.size = std::stoull(response.headers.count("content-length") ? response.headers["content-length"] : "0");
  info.etag = strip_quotes(response.headers["etag"]);
  info.sha256 = lower(response.headers["x-amz-meta-sha256"]);
  return info;
}

void Client::put_single(const std::string& key, const std::string& path, std::uint64_t size,
                        const std::string& sha256_hex) {
  File file(path, File::Mode::kRead);
  const RangeDigests digests = digest_range(file.fd(), path, 0, size);
  if (digests.sha256_hex != sha256_hex)
    throw Error(kSqlstateIoError, "file \"" + path + "\" does not match its checksum",
                "Expected SHA-256 " + sha256_hex + ", the file has " + digests.sha256_hex + ".",
                "The local copy is damaged; it is not uploaded.");
  Request request;
  request.method = "PUT";
  request.key = key;
  request.url = object_url(key, "");
  request.fd = file.fd();
  request.file_length = size;
  request.payload_sha256 = sha256_hex;
  request.headers = {"Content-MD5: " + digests.md5_base64, "x-amz-checksum-sha256: " + hex_to_base64(sha256_hex),
                     "x-amz-meta-sha256: " + sha256_hex, "Content-Type: application/octet-stream"};
  Response response = perform(request);
  if (response.status != 200) throw_refused(describe(), "PUT " + key, response.status, response.body);
}

void Client::put_multipart(const std::string& key, const std::string& path, std::uint64_t size,
                           const std::string& sha256_hex) {
  File file(path, File::Mode::kRead);
  Request create;
  create.method = "POST";
  create.key = key;
  create.url = object_url(key, "uploads=");
  create.headers = {"x-amz-meta-sha256: " + sha256_hex, "Content-Type: application/octet-stream"};
  Response created = perform(create);
  const std::string upload_id = xml_element(created.body, "UploadId");
  if (created.status != 200 || upload_id.empty())
    throw_refused(describe(), "CreateMultipartUpload " + key, created.status, created.body);
  try {
    Sha256 whole;
    std::string complete = "<CompleteMultipartUpload>";
    const std::uint64_t parts = (size + settings_.part_size - 1) / settings_.part_size;
    for (std::uint64_t part = 1; part <= parts; part++) {
      const std::uint64_t offset = (part - 1) * settings_.part_size;
      const std::uint64_t length = std::min<std::uint64_t>(settings_.part_size, size - offset);
      const RangeDigests digests = digest_range(file.fd(), path, offset, length);
      Request upload;
      upload.method = "PUT";
      upload.key = key + " (part " + std::to_string(part) + ")";
      upload.url = object_url(key, "partNumber=" + std::to_string(part) + "&uploadId=" + uri_encode(upload_id, false));
      upload.fd = file.fd();
      upload.file_offset = offset;
      upload.file_length = length;
      upload.payload_sha256 = digests.sha256_hex;
      upload.headers = {"Content-MD5: " + digests.md5_base64};
      Response answer = perform(upload);
      if (answer.status != 200) throw_refused(describe(), "UploadPart " + upload.key, answer.status, answer.body);
      complete += "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>\"" +
                  strip_quotes(answer.headers["etag"]) + "\"</ETag></Part>";
    }
    complete += "</CompleteMultipartUpload>";
    // The whole file once more, now that it was read in parts: what was
    // uploaded must be what the manifest names.
    const RangeDigests all = digest_range(file.fd(), path, 0, size);
    if (all.sha256_hex != sha256_hex)
      throw Error(kSqlstateIoError, "file \"" + path + "\" does not match its checksum",
                  "Expected SHA-256 " + sha256_hex + ", the file has " + all.sha256_hex + ".",
                  "The local copy is damaged; it is not uploaded.");
    Request finish;
    finish.method = "POST";
    finish.key = key;
    finish.url = object_url(key, "uploadId=" + uri_encode(upload_id, false));
    finish.body = complete;
    finish.payload_sha256 = scribe::sha256_hex(complete);
    finish.headers = {"Content-Type: application/xml"};
    Response done = perform(finish);
    // CompleteMultipartUpload may answer 200 with an <Error> in its body.
    if (done.status != 200 || done.body.find("<Error>") != std::string::npos)
      throw_refused(describe(), "CompleteMultipartUpload " + key, done.status == 200 ? 500 : done.status, done.body);
  } catch (...) {
    Request abort;
    abort.method = "DELETE";
    abort.key = key;
    abort.url = object_url(key, "uploadId=" + uri_encode(upload_id, false));
    try {
      perform(abort);
    } catch (...) {
      // The store's lifecycle rule cleans what an abort could not.
    }
    throw;
  }
}

bool Client::put_file(const std::string& key, const std::string& path, const std::string& sha256_hex) {
  File probe(path, File::Mode::kRead);
  const std::uint64_t size = probe.size();
  probe.close();
  if (const auto existing = head(key); existing && existing->size == size && existing->sha256 == sha256_hex)
    return false;
  if (size > settings_.part_size)
    put_multipart(key, path, size, sha256_hex);
  else
    put_single(key, path, size, sha256_hex);
  // Confirmed: the store has an object of that size carrying our checksum.
  const auto stored = head(key);
  if (!stored || stored->size != size || stored->sha256 != sha256_hex)
    throw Error(kSqlstateIoError, "object store " + describe() + " does not show " + key + " as uploaded",
                stored ? "It has " + std::to_string(stored->size) + " bytes, SHA-256 \"" + stored->sha256 + "\"."
                       : "HEAD answers 404 after a successful PUT.",
                "The upload is tried again.");
  return true;
}

void Client::put_bytes(const std::string& key, std::string_view body) {
  Request request;
  request.method = "PUT";
  request.key = key;
  request.url = object_url(key, "");
  request.body = std::string(body);
  request.payload_sha256 = scribe::sha256_hex(body);
  request.headers = {"Content-MD5: " + md5_base64_of(body),
                     "x-amz-checksum-sha256: " + hex_to_base64(request.payload_sha256),
                     "x-amz-meta-sha256: " + request.payload_sha256, "Content-Type: application/octet-stream"};
  Response response = perform(request);
  if (response.status != 200) throw_refused(describe(), "PUT " + key, response.status, response.body);
}

void Client::get(const std::string& key, const std::function<void(const char*, std::size_t)>& sink,
                 std::uint64_t offset, std::optional<std::uint64_t> length) {
  Request request;
  request.method = "GET";
  request.key = key;
  request.url = object_url(key, "");
  request.sink = &sink;
  request.range_start = offset;
  request.range_length = length;
  // A transfer cut in the middle is resumed from where it stopped: perform()
  // retries, and each attempt asks for the bytes not delivered yet.
  for (int round = 0;; round++) {
    Response response = perform(request);
    if (response.status == 404) throw_refused(describe(), "GET " + key, 404, response.body);
    if (response.status != 200 && response.status != 206)
      throw_refused(describe(), "GET " + key, response.status, response.body);
    if (!request.range_length) return;
    if (request.delivered >= *request.range_length) return;
    if (round + 1 >= settings_.max_attempts)
      throw Error(
          kSqlstateIoError, "object store " + describe() + " ended " + key + " early",
          std::to_string(request.delivered) + " of " + std::to_string(*request.range_length) + " bytes arrived.");
  }
}

std::string Client::get_string(const std::string& key, std::size_t max_bytes) {
  std::string out;
  get(key, [&](const char* data, std::size_t n) {
    if (out.size() + n > max_bytes)
      throw Error(kSqlstateIoError, "object " + key + " in " + describe() + " is larger than expected",
                  "More than " + std::to_string(max_bytes) + " bytes.");
    out.append(data, n);
  });
  return out;
}

std::vector<ObjectInfo> Client::list(const std::string& prefix) {
  std::vector<ObjectInfo> objects;
  std::string token;
  for (;;) {
    // Parameters in sorted order: the signature's canonical query.
    std::string query = token.empty() ? "" : "continuation-token=" + uri_encode(token, false) + "&";
    query += "list-type=2&prefix=" + uri_encode(prefix, false);
    Request request;
    request.method = "GET";
    request.key = prefix + "*";
    request.url = settings_.endpoint + "/" + location_.bucket + "/?" + query;
    request.max_body = 64u << 20;
    Response response = perform(request);
    if (response.status != 200) throw_refused(describe(), "ListObjectsV2 " + prefix, response.status, response.body);
    ListPage page = parse_list_objects_v2(response.body);
    for (ObjectInfo& info : page.objects) objects.push_back(std::move(info));
    if (!page.truncated || page.continuation_token.empty()) break;
    token = page.continuation_token;
  }
  std::sort(objects.begin(), objects.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return objects;
}

void Client::remove(const std::string& key) {
  Request request;
  request.method = "DELETE";
  request.key = key;
  request.url = object_url(key, "");
  Response response = perform(request);
  if (response.status != 204 && response.status != 200 && response.status != 404)
    throw_refused(describe(), "DELETE " + key, response.status, response.body);
}

}  // namespace scribe::s3
