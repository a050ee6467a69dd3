// Sends statements to an LRS with @xapi/xapi, as a partner platform's JavaScript does.
// node send_statements.cjs ENDPOINT KEY SECRET FILE.json  (FILE: an array of statements,
// sent one by one in order); prints the ids the LRS answered, as JSON.
const XAPI = require("@xapi/xapi").default || require("@xapi/xapi");
const fs = require("fs");

async function main() {
  const [endpoint, key, secret, file] = process.argv.slice(2);
  const xapi = new XAPI({ endpoint, auth: XAPI.toBasicAuth(key, secret), version: "1.0.3" });
  const ids = [];
  for (const statement of JSON.parse(fs.readFileSync(file, "utf8"))) {
    const response = await xapi.sendStatement({ statement });
    ids.push(...response.data);
  }
  process.stdout.write(JSON.stringify(ids));
}

main().catch((error) => {
  process.stderr.write(String(error && error.response ? JSON.stringify(error.response.data) : error));
  process.exit(1);
});
