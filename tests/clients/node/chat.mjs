// Calls persona-mesh's GatewayService Chat and ChatStream from the .proto files, as a Node.js user would.
//
//   node chat.mjs PROTOS_DIR HOST:PORT "message" [persona]
//
// The include root is the repository's `protos/` folder: the files import each other as
// "personamesh/v1/...". Prints one JSON line: the unary answer and the streamed events.
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import path from "node:path";

const [protosDir, target, message, persona = ""] = process.argv.slice(2);
const definition = protoLoader.loadSync(path.join(protosDir, "personamesh/v1/gateway_service.proto"), {
  includeDirs: [protosDir],
  keepCase: true,
  enums: String,
  longs: String,
  defaults: true,
  oneofs: true,
});
const { GatewayService } = grpc.loadPackageDefinition(definition).personamesh.v1;
const client = new GatewayService(target, grpc.credentials.createInsecure());
const request = { content: message, persona_name: persona, session_id: "node-client" };
const deadline = () => new Date(Date.now() + 30_000);

const unary = await new Promise((resolve, reject) =>
  client.Chat(request, { deadline: deadline() }, (error, answer) => (error ? reject(error) : resolve(answer))),
);
const events = await new Promise((resolve, reject) => {
  const seen = [];
  const call = client.ChatStream(request, { deadline: deadline() });
  call.on("data", (event) => seen.push({ kind: event.event, delta: event.delta, final: event.final }));
  call.on("error", reject);
  call.on("end", () => resolve(seen));
});
console.log(JSON.stringify({
  persona: unary.response.persona_name,
  content: unary.response.content,
  routed_to: unary.routing.persona_name,
  stream: events.map((e) => e.kind),
  streamed_text: events.filter((e) => e.kind === "delta").map((e) => e.delta).join(""),
  final_content: events.find((e) => e.kind === "final")?.final.response.content ?? null,
}));
client.close();
