// Unmodified cosmjs against a deai localnet: node e2e.mjs <localnet.json>
// Prints one JSON line with what it saw; exits non-zero with one error line on any failure.
import { readFileSync } from "node:fs";
import { StargateClient, SigningStargateClient, GasPrice, calculateFee, assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import { DirectSecp256k1HdWallet, coins } from "@cosmjs/proto-signing";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const net = JSON.parse(readFileSync(process.argv[2], "utf8"));
const rpc = net.nodes[0].rpc;
const [alice, bob] = net.accounts;
const denom = net.denom;
const out = {};

const client = await StargateClient.connect(rpc);
out.chainId = await client.getChainId();
check(out.chainId === net.chain_id, `chain id ${out.chainId}`);
out.height = await client.getHeight();
check(out.height > 0, "height > 0");
const aliceBefore = BigInt((await client.getBalance(alice.address, denom)).amount);
const bobBefore = BigInt((await client.getBalance(bob.address, denom)).amount);
const all = await client.getAllBalances(alice.address);
check(all.some((c) => c.denom === denom && BigInt(c.amount) === aliceBefore), "getAllBalances has the denom");
const account = await client.getAccount(alice.address);
check(account && account.address === alice.address, "getAccount address");
out.accountNumber = account.accountNumber;
out.sequenceBefore = account.sequence;
const [fresh] = await (await DirectSecp256k1HdWallet.generate(12, { prefix: "deai" })).getAccounts();
const stranger = await client.getAccount(fresh.address);
check(stranger === null, "an unknown account is null");

const wallet = await DirectSecp256k1HdWallet.fromMnemonic(alice.mnemonic, { prefix: "deai" });
const [acct] = await wallet.getAccounts();
check(acct.address === alice.address, `wallet address ${acct.address}`);
const gasPrice = GasPrice.fromString(`0.025${denom}`);
const signer = await SigningStargateClient.connectWithSigner(rpc, wallet, { gasPrice });
const amount = coins(12345, denom);
const msg = { typeUrl: "/cosmos.bank.v1beta1.MsgSend", value: { fromAddress: alice.address, toAddress: bob.address, amount } };
out.gasEstimate = await signer.simulate(alice.address, [msg], "cosmjs simulate");
check(out.gasEstimate > 0, "simulate gives gas");
const fee = calculateFee(Math.round(out.gasEstimate * 1.4), gasPrice);
const result = await signer.sendTokens(alice.address, bob.address, amount, fee, "cosmjs e2e");
assertIsDeliverTxSuccess(result);
out.txHash = result.transactionHash;
out.txHeight = result.height;

const tx = await client.getTx(result.transactionHash);
check(tx && tx.code === 0 && tx.height === result.height, "getTx finds the committed tx");
const found = await client.searchTx([{ key: "message.sender", value: alice.address }]);
check(found.some((t) => t.hash === result.transactionHash), "searchTx by sender finds it");
const byHeight = await client.searchTx(`tx.height=${result.height}`);
check(byHeight.some((t) => t.hash === result.transactionHash), "searchTx by height finds it");

const aliceAfter = BigInt((await client.getBalance(alice.address, denom)).amount);
const bobAfter = BigInt((await client.getBalance(bob.address, denom)).amount);
const feePaid = BigInt(fee.amount[0].amount);
check(bobAfter - bobBefore === 12345n, `bob received ${bobAfter - bobBefore}`);
check(aliceBefore - aliceAfter === 12345n + feePaid, `alice paid ${aliceBefore - aliceAfter}`);
out.feePaid = feePaid.toString();

// A tx signed with a wrong sequence is refused by CheckTx with a clear error.
const now = await client.getAccount(alice.address);
const raw = await signer.sign(alice.address, [msg], fee, "", {
  accountNumber: now.accountNumber,
  sequence: now.sequence + 5,
  chainId: out.chainId,
});
let refused = null;
try {
  await signer.broadcastTx(TxRaw.encode(raw).finish());
} catch (e) {
  refused = e;
}
check(refused !== null, "a wrong sequence is refused");
check(/sequence/i.test(String(refused.message)), `wrong sequence error mentions the sequence: ${refused.message}`);
out.wrongSequenceCode = refused.code ?? null;
out.wrongSequenceError = String(refused.message).split("\n")[0];
check((await client.getAccount(alice.address)).sequence === now.sequence, "the refused tx did not move the sequence");

client.disconnect();
signer.disconnect();
console.log(JSON.stringify(out, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
