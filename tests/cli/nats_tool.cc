// A small NATS JetStream client for the `evlog bridge` tests and benchmark (Debian ships no
// `nats` CLI), the way kcat serves the Kafka ones:
//   evlog_nats_tool stream URL STREAM SUBJECT [interest|limits MAX_CONSUMERS]
//                                                   create a file stream storing SUBJECT
//                                                   (deleting any stream of that name first);
//                                                   with `interest`, retention by interest;
//                                                   either way at most MAX_CONSUMERS consumers
//   evlog_nats_tool delete-consumer URL STREAM NAME delete a consumer if it exists
//   evlog_nats_tool consumer URL STREAM NAME START [DESCRIPTION]
//                                                   add durable pull consumer NAME (ack
//                                                   policy all) delivering from sequence START
//   evlog_nats_tool consumer-of-kind URL STREAM NAME KIND
//                                                   add durable consumer NAME (ack policy
//                                                   all) of a KIND the bridge must refuse:
//                                                   push (a deliver subject), filter:SUBJECT,
//                                                   new, last, by-time (deliver policies),
//                                                   headers-only, memory (storage), max-batch
//                                                   (10 a pull request), inactive (deleted
//                                                   after an hour without a client)
//   evlog_nats_tool consumer-info URL STREAM NAME   "NAME START ACK_PENDING", or "none"
//   evlog_nats_tool fetch URL STREAM NAME N         fetch N messages through the existing
//                                                   consumer NAME and acknowledge none
//   evlog_nats_tool info URL STREAM                 "MESSAGES FIRST_SEQ LAST_SEQ"
//   evlog_nats_tool dump URL STREAM                 every message as a JSON line
//   evlog_nats_tool publish URL SUBJECT COUNT BYTES async publishes with acknowledgements
//   evlog_nats_tool consume URL STREAM DURABLE [read] pull-consumes until nothing is pending;
//                                                   with `read`, reads every message's metadata,
//                                                   headers and payload, as a consumer that keeps
//                                                   the messages whole must
// A JSON line: {"seq":N,"subject":S,"headers":{NAME:[VALUE,...]},"data":BASE64}.
#include <nats/nats.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <string>
#include <vector>

namespace {

[[noreturn]] void Die(const char* what, natsStatus status) {
  std::fprintf(stderr, "nats_tool: %s: %s\n", what, natsStatus_GetText(status));
  std::exit(1);
}

void Check(natsStatus status, const char* what) {
  if (status != NATS_OK) Die(what, status);
}

std::string Json(const char* text) {
  std::string out = "\"";
  for (const char* p = text; *p; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string Base64(const char* data, int size) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (int i = 0; i < size; i += 3) {
    uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < size) n |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (i + 2 < size) n |= static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < size ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < size ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// Calls fn(name, values, count) for each header of `msg`, in libnats's order.
template <typename Fn>
void ForEachHeader(natsMsg* msg, Fn fn) {
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(msg, &keys, &count) != NATS_OK) return;
  for (int i = 0; i < count; ++i) {
    const char** values = nullptr;
    int n = 0;
    Check(natsMsgHeader_Values(msg, keys[i], &values, &n), "header values");
    fn(keys[i], values, n);
    std::free(values);
  }
  std::free(keys);
}

void PrintMessage(natsMsg* msg, uint64_t seq) {
  std::string line = "{\"seq\":" + std::to_string(seq) + ",\"subject\":" + Json(natsMsg_GetSubject(msg)) + ",\"headers\":{";
  bool first = true;
  ForEachHeader(msg, [&](const char* name, const char** values, int n) {
    line += (first ? "" : ",") + Json(name) + ":[";
    for (int j = 0; j < n; ++j) line += (j ? "," : "") + Json(values[j]);
    line += "]";
    first = false;
  });
  line += "},\"data\":\"" + Base64(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)) + "\"}\n";
  std::fputs(line.c_str(), stdout);
}

jsStreamInfo* StreamInfo(jsCtx* js, const char* stream) {
  jsStreamInfo* info = nullptr;
  jsErrCode code{};
  Check(js_GetStreamInfo(&info, js, stream, nullptr, &code), "stream info");
  return info;
}

// retention: "limits" (JetStream's default) or "interest"; max_consumers 0 for no limit.
int CreateStream(jsCtx* js, const char* stream, const char* subject, const std::string& retention,
                 long max_consumers) {
  jsErrCode deleted{};
  js_DeleteStream(js, stream, nullptr, &deleted);  // a benchmark's earlier run; none is fine
  jsStreamConfig config;
  jsStreamConfig_Init(&config);
  config.Name = stream;
  config.Subjects = &subject;
  config.SubjectsLen = 1;
  config.Storage = js_FileStorage;
  if (retention == "interest") config.Retention = js_InterestPolicy;
  if (max_consumers > 0) config.MaxConsumers = max_consumers;
  jsStreamInfo* info = nullptr;
  jsErrCode code{};
  Check(js_AddStream(&info, js, &config, nullptr, &code), "add stream");
  jsStreamInfo_Destroy(info);
  return 0;
}

// A pull subscription to a new durable consumer over the whole stream (created first:
// libnats binds to it without a subject).
natsSubscription* PullAll(jsCtx* js, const char* stream, const char* durable, jsAckPolicy ack) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = durable;
  config.AckPolicy = ack;
  config.MaxAckPending = 100000;
  jsConsumerInfo* info = nullptr;
  jsErrCode code{};
  Check(js_AddConsumer(&info, js, stream, &config, nullptr, &code), "add consumer");
  jsConsumerInfo_Destroy(info);
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream;
  options.Consumer = durable;
  natsSubscription* sub = nullptr;
  Check(js_PullSubscribe(&sub, js, nullptr, durable, nullptr, &options, &code), "pull subscribe");
  return sub;
}

int AddConsumer(jsCtx* js, const char* stream, const char* name, long start, const char* description) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = name;
  config.Description = description;
  config.AckPolicy = js_AckAll;
  config.DeliverPolicy = js_DeliverByStartSequence;
  config.OptStartSeq = static_cast<uint64_t>(start);
  jsConsumerInfo* info = nullptr;
  jsErrCode code{};
  Check(js_AddConsumer(&info, js, stream, &config, nullptr, &code), "add consumer");
  jsConsumerInfo_Destroy(info);
  return 0;
}

int AddConsumerOfKind(jsCtx* js, const char* stream, const char* name, const std::string& kind) {
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = name;
  config.AckPolicy = js_AckAll;
  const std::string filter = kind.rfind("filter:", 0) == 0 ? kind.substr(7) : "";
  std::string deliver_subject = "nats-tool.push.";
  deliver_subject += name;
  if (kind == "push") {
    config.DeliverSubject = deliver_subject.c_str();
  } else if (!filter.empty()) {
    config.FilterSubject = filter.c_str();
  } else if (kind == "new") {
    config.DeliverPolicy = js_DeliverNew;
  } else if (kind == "last") {
    config.DeliverPolicy = js_DeliverLast;
  } else if (kind == "by-time") {
    config.DeliverPolicy = js_DeliverByStartTime;
    config.OptStartTime = 1;  // nanoseconds since the epoch: the whole stream, by time
  } else if (kind == "headers-only") {
    config.HeadersOnly = true;
  } else if (kind == "memory") {
    config.MemoryStorage = true;
  } else if (kind == "max-batch") {
    config.MaxRequestBatch = 10;
  } else if (kind == "inactive") {
    config.InactiveThreshold = 3600LL * 1000 * 1000 * 1000;  // an hour: not during a test
  } else {
    std::fprintf(stderr, "nats_tool: unknown consumer kind %s\n", kind.c_str());
    return 2;
  }
  jsConsumerInfo* info = nullptr;
  jsErrCode code{};
  Check(js_AddConsumer(&info, js, stream, &config, nullptr, &code), "add consumer");
  jsConsumerInfo_Destroy(info);
  return 0;
}

int ConsumerInfo(jsCtx* js, const char* stream, const char* name) {
  jsConsumerInfo* info = nullptr;
  jsErrCode code{};
  if (js_GetConsumerInfo(&info, js, stream, name, nullptr, &code) != NATS_OK) {
    std::printf("none\n");
    return 0;
  }
  std::printf("%s %llu %lld\n", name, static_cast<unsigned long long>(info->Config->OptStartSeq),
              static_cast<long long>(info->NumAckPending));
  jsConsumerInfo_Destroy(info);
  return 0;
}

int FetchWithoutAck(jsCtx* js, const char* stream, const char* name, long n) {
  jsSubOptions options;
  jsSubOptions_Init(&options);
  options.Stream = stream;
  options.Consumer = name;
  natsSubscription* sub = nullptr;
  jsErrCode code{};
  Check(js_PullSubscribe(&sub, js, nullptr, name, nullptr, &options, &code), "pull subscribe");
  natsMsgList list{};
  Check(natsSubscription_Fetch(&list, sub, static_cast<int>(n), 5000, &code), "fetch");
  std::printf("%d\n", list.Count);
  natsMsgList_Destroy(&list);
  natsSubscription_Destroy(sub);
  return 0;
}

// Through a pull consumer of its own (deleted after), in stream order: one request per
// batch rather than one per message.
int Dump(jsCtx* js, const char* stream) {
  const std::string durable = "nats-tool-dump-" + std::to_string(getpid());
  natsSubscription* sub = PullAll(js, stream, durable.c_str(), js_AckNone);
  jsErrCode code{};
  for (bool done = false; !done;) {
    natsMsgList list{};
    const natsStatus status = natsSubscription_Fetch(&list, sub, 1024, 1000, &code);
    if (status == NATS_TIMEOUT && list.Count == 0) break;
    if (status != NATS_OK && list.Count == 0) Die("fetch", status);
    for (int i = 0; i < list.Count; ++i) {
      jsMsgMetaData* meta = nullptr;
      Check(natsMsg_GetMetaData(&meta, list.Msgs[i]), "metadata");
      PrintMessage(list.Msgs[i], meta->Sequence.Stream);
      done = meta->NumPending == 0;
      jsMsgMetaData_Destroy(meta);
    }
    natsMsgList_Destroy(&list);
  }
  natsSubscription_Destroy(sub);
  js_DeleteConsumer(js, stream, durable.c_str(), nullptr, &code);
  return 0;
}

// The same messages as the bridge sends for a log of COUNT events of BYTES bytes: payload,
// Nats-Msg-Id and three headers, acknowledged asynchronously.
int Publish(jsCtx* js, const char* subject, long count, long bytes) {
  std::string payload(static_cast<size_t>(bytes), 'x');
  for (long i = 0; i < count; ++i) {
    natsMsg* msg = nullptr;
    Check(natsMsg_Create(&msg, subject, nullptr, payload.data(), static_cast<int>(payload.size())), "message");
    const std::string offset = std::to_string(i);
    Check(natsMsgHeader_Set(msg, "Nats-Msg-Id", ("0123456789abcdef0123456789abcdef:" + offset).c_str()), "header");
    Check(natsMsgHeader_Add(msg, "evlog.log_id", "0123456789abcdef0123456789abcdef"), "header");
    Check(natsMsgHeader_Add(msg, "evlog.offset", offset.c_str()), "header");
    Check(natsMsgHeader_Add(msg, "evlog.timestamp", "1764650000000000000"), "header");
    Check(js_PublishMsgAsync(js, &msg, nullptr), "publish");
  }
  jsPubOptions options;
  jsPubOptions_Init(&options);
  options.MaxWait = 60000;
  Check(js_PublishAsyncComplete(js, &options), "waiting for acknowledgements");
  return 0;
}

void OnPublishError(jsCtx*, jsPubAckErr* error, void*) {
  std::fprintf(stderr, "nats_tool: publish failed: %s\n", error->ErrText ? error->ErrText : natsStatus_GetText(error->Err));
  std::exit(1);
}

// What a consumer that keeps messages whole reads of one: its stream sequence, every header
// value and the payload (summed into `sink` so that nothing is optimised away).
void ReadWhole(natsMsg* msg, unsigned long long* sink) {
  jsMsgMetaData* meta = nullptr;
  Check(natsMsg_GetMetaData(&meta, msg), "metadata");
  *sink += meta->Sequence.Stream;
  jsMsgMetaData_Destroy(meta);
  ForEachHeader(msg, [sink](const char*, const char** values, int n) {
    for (int v = 0; v < n; ++v) *sink += std::strlen(values[v]);
  });
  const char* data = natsMsg_GetData(msg);
  for (int i = 0; i < natsMsg_GetDataLength(msg); i += 64) *sink += static_cast<unsigned char>(data[i]);
}

int Consume(jsCtx* js, const char* stream, const char* durable, bool read_whole) {
  natsSubscription* sub = PullAll(js, stream, durable, js_AckAll);
  jsErrCode code{};
  long received = 0;
  unsigned long long sink = 0;
  for (;;) {
    natsMsgList list{};
    const natsStatus status = natsSubscription_Fetch(&list, sub, 1024, 1000, &code);
    if (status == NATS_TIMEOUT && list.Count == 0) break;
    if (status != NATS_OK && list.Count == 0) Die("fetch", status);
    received += list.Count;
    if (read_whole) {
      for (int i = 0; i < list.Count; ++i) ReadWhole(list.Msgs[i], &sink);
    }
    Check(natsMsg_AckSync(list.Msgs[list.Count - 1], nullptr, &code), "ack");
    jsMsgMetaData* meta = nullptr;
    Check(natsMsg_GetMetaData(&meta, list.Msgs[list.Count - 1]), "metadata");
    const bool done = meta->NumPending == 0;
    jsMsgMetaData_Destroy(meta);
    natsMsgList_Destroy(&list);
    if (done) break;
  }
  natsSubscription_Destroy(sub);
  std::printf("%ld\n", received);
  if (sink == 1) std::fprintf(stderr, "nats_tool: improbable checksum\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: nats_tool stream|info|dump|publish|consume URL ARGS...\n");
    return 2;
  }
  const std::string command = argv[1];
  natsConnection* connection = nullptr;
  Check(natsConnection_ConnectTo(&connection, argv[2]), argv[2]);
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.PublishAsync.ErrHandler = OnPublishError;
  js_options.PublishAsync.MaxPending = 16384;
  jsCtx* js = nullptr;
  Check(natsConnection_JetStream(&js, connection, &js_options), "JetStream");
  int rc = 2;
  if (command == "stream" && argc == 5) {
    rc = CreateStream(js, argv[3], argv[4], "limits", 0);
  } else if (command == "stream" && argc == 7 &&
             (std::strcmp(argv[5], "interest") == 0 || std::strcmp(argv[5], "limits") == 0)) {
    rc = CreateStream(js, argv[3], argv[4], argv[5], std::atol(argv[6]));
  } else if (command == "consumer" && (argc == 6 || argc == 7)) {
    rc = AddConsumer(js, argv[3], argv[4], std::atol(argv[5]), argc == 7 ? argv[6] : nullptr);
  } else if (command == "consumer-of-kind" && argc == 6) {
    rc = AddConsumerOfKind(js, argv[3], argv[4], argv[5]);
  } else if (command == "consumer-info" && argc == 5) {
    rc = ConsumerInfo(js, argv[3], argv[4]);
  } else if (command == "fetch" && argc == 6) {
    rc = FetchWithoutAck(js, argv[3], argv[4], std::atol(argv[5]));
  } else if (command == "delete-consumer" && argc == 5) {
    jsErrCode code{};
    js_DeleteConsumer(js, argv[3], argv[4], nullptr, &code);  // none is fine
    rc = 0;
  } else if (command == "info" && argc == 4) {
    jsStreamInfo* info = StreamInfo(js, argv[3]);
    std::printf("%llu %llu %llu\n", static_cast<unsigned long long>(info->State.Msgs),
                static_cast<unsigned long long>(info->State.FirstSeq), static_cast<unsigned long long>(info->State.LastSeq));
    jsStreamInfo_Destroy(info);
    rc = 0;
  } else if (command == "dump" && argc == 4) {
    rc = Dump(js, argv[3]);
  } else if (command == "publish" && argc == 6) {
    rc = Publish(js, argv[3], std::atol(argv[4]), std::atol(argv[5]));
  } else if (command == "consume" && (argc == 5 || (argc == 6 && std::strcmp(argv[5], "read") == 0))) {
    rc = Consume(js, argv[3], argv[4], argc == 6);
  } else {
    std::fprintf(stderr, "nats_tool: bad command or arguments\n");
  }
  jsCtx_Destroy(js);
  natsConnection_Destroy(connection);
  return rc;
}
