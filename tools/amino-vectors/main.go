// Command amino-vectors prints test vectors for deaid's TxEncodeAmino/TxDecodeAmino
// (app/src/tx/amino_binary.rs): legacy StdTxs built with the Cosmos SDK's own legacy amino
// codec, as its x/auth/tx service encodes them (LegacyAmino.Marshal, i.e. amino binary
// bare with the registered-type prefix, and LegacyAmino.MarshalJSON).
//
//	cd tools/amino-vectors && GOFLAGS=-mod=mod go run . > ../../app/src/tx/testdata/amino_vectors.json
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"

	sdkmath "cosmossdk.io/math"
	"github.com/cosmos/cosmos-sdk/codec"
	"github.com/cosmos/cosmos-sdk/crypto/keys/ed25519"
	kmultisig "github.com/cosmos/cosmos-sdk/crypto/keys/multisig"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	"github.com/cosmos/cosmos-sdk/std"
	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/x/auth/migrations/legacytx"
	banktypes "github.com/cosmos/cosmos-sdk/x/bank/types"
	distrtypes "github.com/cosmos/cosmos-sdk/x/distribution/types"
	govv1 "github.com/cosmos/cosmos-sdk/x/gov/types/v1"
	slashingtypes "github.com/cosmos/cosmos-sdk/x/slashing/types"
	stakingtypes "github.com/cosmos/cosmos-sdk/x/staking/types"
)

type vector struct {
	Name   string `json:"name"`
	JSON   string `json:"amino_json"`
	Binary string `json:"amino_binary_hex"`
}

func addr(seed string) string {
	h := sha256.Sum256([]byte(seed))
	s, err := sdk.Bech32ifyAddressBytes("deai", h[:20])
	if err != nil {
		panic(err)
	}
	return s
}

func valoper(seed string) string {
	h := sha256.Sum256([]byte(seed))
	s, err := sdk.Bech32ifyAddressBytes("deaivaloper", h[:20])
	if err != nil {
		panic(err)
	}
	return s
}

func key(seed string) cryptotypes.PubKey {
	return secp256k1.GenPrivKeyFromSecret([]byte(seed)).PubKey()
}

func sig(seed string) []byte {
	a := sha256.Sum256([]byte(seed))
	b := sha256.Sum256(a[:])
	return append(a[:], b[:]...)
}

func coins(c ...sdk.Coin) sdk.Coins { return sdk.NewCoins(c...) }

func coin(denom string, amount int64) sdk.Coin { return sdk.NewInt64Coin(denom, amount) }

func dec(s string) *sdkmath.LegacyDec {
	d := sdkmath.LegacyMustNewDecFromStr(s)
	return &d
}

func main() {
	conf := sdk.GetConfig()
	conf.SetBech32PrefixForAccount("deai", "deaipub")
	conf.SetBech32PrefixForValidator("deaivaloper", "deaivaloperpub")
	cdc := codec.NewLegacyAmino()
	std.RegisterLegacyAminoCodec(cdc)
	legacytx.RegisterLegacyAminoCodec(cdc)
	banktypes.RegisterLegacyAminoCodec(cdc)
	stakingtypes.RegisterLegacyAminoCodec(cdc)
	distrtypes.RegisterLegacyAminoCodec(cdc)
	govv1.RegisterLegacyAminoCodec(cdc)
	slashingtypes.RegisterLegacyAminoCodec(cdc)

	alice, bob := addr("alice"), addr("bob")
	val1, val2 := valoper("val1"), valoper("val2")
	fee := legacytx.NewStdFee(200000, coins(coin("udeai", 5000)))
	one := []legacytx.StdSignature{legacytx.NewStdSignature(key("alice"), sig("alice"))}

	send := banktypes.NewMsgSend(sdk.MustAccAddressFromBech32(alice), sdk.MustAccAddressFromBech32(bob), coins(coin("udeai", 1000000)))
	delegate := &stakingtypes.MsgDelegate{DelegatorAddress: alice, ValidatorAddress: val1, Amount: coin("udeai", 42)}
	multi := []sdk.Msg{
		send,
		delegate,
		&stakingtypes.MsgBeginRedelegate{DelegatorAddress: alice, ValidatorSrcAddress: val1, ValidatorDstAddress: val2, Amount: coin("udeai", 7)},
		&stakingtypes.MsgUndelegate{DelegatorAddress: alice, ValidatorAddress: val2, Amount: coin("udeai", 3)},
		&stakingtypes.MsgCancelUnbondingDelegation{DelegatorAddress: alice, ValidatorAddress: val2, Amount: coin("udeai", 1), CreationHeight: 12345},
		&distrtypes.MsgWithdrawDelegatorReward{DelegatorAddress: alice, ValidatorAddress: val1},
		&distrtypes.MsgSetWithdrawAddress{DelegatorAddress: alice, WithdrawAddress: bob},
		&distrtypes.MsgWithdrawValidatorCommission{ValidatorAddress: val1},
		&distrtypes.MsgFundCommunityPool{Depositor: alice, Amount: coins(coin("udeai", 9), coin("uatom", 8))},
		&govv1.MsgVote{ProposalId: 3, Voter: alice, Option: govv1.OptionNoWithVeto, Metadata: "why"},
		&govv1.MsgVoteWeighted{ProposalId: 4, Voter: alice, Options: []*govv1.WeightedVoteOption{
			{Option: govv1.OptionYes, Weight: "0.700000000000000000"}, {Option: govv1.OptionAbstain, Weight: "0.300000000000000000"}}},
		&govv1.MsgDeposit{ProposalId: 5, Depositor: alice, Amount: coins(coin("udeai", 100))},
		&slashingtypes.MsgUnjail{ValidatorAddr: val1},
		&banktypes.MsgMultiSend{
			Inputs:  []banktypes.Input{{Address: alice, Coins: coins(coin("udeai", 2))}},
			Outputs: []banktypes.Output{{Address: bob, Coins: coins(coin("udeai", 1))}, {Address: alice, Coins: coins(coin("udeai", 1))}},
		},
		&stakingtypes.MsgEditValidator{
			Description:       stakingtypes.Description{Moniker: "m<o>n", Details: "d & d"},
			ValidatorAddress:  val1,
			CommissionRate:    dec("0.05"),
			MinSelfDelegation: nil,
		},
	}

	var msig []legacytx.StdSignature
	{
		pk := kmultisig.NewLegacyAminoPubKey(2, []cryptotypes.PubKey{key("m1"), key("m2"), key("m3")})
		msig = []legacytx.StdSignature{legacytx.NewStdSignature(pk, sig("multisig"))}
	}

	consPk := ed25519.GenPrivKeyFromSecret([]byte("cons")).PubKey()
	createVal, err := stakingtypes.NewMsgCreateValidator(val2, consPk, coin("udeai", 1000000),
		stakingtypes.NewDescription("moniker", "id", "https://x", "sec", "details"),
		stakingtypes.NewCommissionRates(*dec("0.1"), *dec("0.2"), *dec("0.01")), sdkmath.NewInt(1))
	if err != nil {
		panic(err)
	}
	proposal, err := govv1.NewMsgSubmitProposal([]sdk.Msg{send}, coins(coin("udeai", 10)), alice, "meta", "title", "summary", false)
	if err != nil {
		panic(err)
	}

	withTimeout := legacytx.NewStdTx(multi, legacytx.NewStdFee(900000, coins(coin("uatom", 1), coin("udeai", 2))), one, "multi")
	withTimeout.TimeoutHeight = 100

	// Edge cases: zero and empty values, pointers set and unset, fee payer and granter.
	zero := sdk.Coins{{Denom: "udeai", Amount: sdkmath.ZeroInt()}}
	minSelf := sdkmath.NewInt(5)
	edges := []sdk.Msg{
		&banktypes.MsgSend{FromAddress: alice, ToAddress: bob},
		&banktypes.MsgSend{FromAddress: alice, ToAddress: bob, Amount: zero},
		&stakingtypes.MsgDelegate{DelegatorAddress: alice, ValidatorAddress: val1, Amount: sdk.Coin{Amount: sdkmath.ZeroInt()}},
		&stakingtypes.MsgEditValidator{ValidatorAddress: val1, MinSelfDelegation: &minSelf},
		&distrtypes.MsgWithdrawValidatorCommission{},
		&govv1.MsgVote{ProposalId: 1, Voter: bob},
		&govv1.MsgSubmitProposal{Proposer: bob, Expedited: true, Title: "t"},
		&stakingtypes.MsgCancelUnbondingDelegation{DelegatorAddress: alice, ValidatorAddress: val2, Amount: coin("udeai", 1), CreationHeight: -1},
	}
	edgeFee := legacytx.StdFee{Amount: zero, Gas: 1, Payer: bob, Granter: alice}

	txs := []struct {
		name string
		tx   legacytx.StdTx
	}{
		{"send_with_memo_and_fee", legacytx.NewStdTx([]sdk.Msg{send}, fee, one, "hello <deai> & \"friends\"")},
		{"delegate", legacytx.NewStdTx([]sdk.Msg{delegate}, fee, one, "")},
		{"multi_msg_timeout", withTimeout},
		{"multisig", legacytx.NewStdTx([]sdk.Msg{send}, fee, msig, "")},
		{"unsigned_no_fee", legacytx.NewStdTx([]sdk.Msg{send}, legacytx.StdFee{}, nil, "")},
		{"create_validator", legacytx.NewStdTx([]sdk.Msg{createVal}, fee, one, "")},
		{"edge_cases", legacytx.NewStdTx(edges, edgeFee, []legacytx.StdSignature{{PubKey: key("bob")}, {Signature: sig("x")}}, "\u2028\x01\t")},
		{"update_params", legacytx.NewStdTx([]sdk.Msg{
			&govv1.MsgUpdateParams{Authority: alice, Params: govv1.DefaultParams()},
			&stakingtypes.MsgUpdateParams{Authority: alice, Params: stakingtypes.DefaultParams()},
			&slashingtypes.MsgUpdateParams{Authority: alice, Params: slashingtypes.DefaultParams()},
			&banktypes.MsgUpdateParams{Authority: alice, Params: banktypes.DefaultParams()},
			&distrtypes.MsgUpdateParams{Authority: alice, Params: distrtypes.DefaultParams()},
		}, fee, one, "")},
		{"submit_proposal", legacytx.NewStdTx([]sdk.Msg{proposal}, fee, one, "")},
	}
	var out []vector
	for _, t := range txs {
		bz, err := cdc.Marshal(t.tx)
		if err != nil {
			panic(t.name + ": " + err.Error())
		}
		var back legacytx.StdTx
		if err := cdc.Unmarshal(bz, &back); err != nil {
			panic(t.name + ": unmarshal: " + err.Error())
		}
		js, err := cdc.MarshalJSON(back)
		if err != nil {
			panic(t.name + ": " + err.Error())
		}
		var fromJSON legacytx.StdTx
		if err := cdc.UnmarshalJSON(js, &fromJSON); err != nil {
			panic(t.name + ": unmarshal json: " + err.Error())
		}
		bz2, err := cdc.Marshal(fromJSON)
		if err != nil || hex.EncodeToString(bz2) != hex.EncodeToString(bz) {
			panic(t.name + ": TxEncodeAmino(TxDecodeAmino(bz)) != bz")
		}
		out = append(out, vector{Name: t.name, JSON: string(js), Binary: hex.EncodeToString(bz)})
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
